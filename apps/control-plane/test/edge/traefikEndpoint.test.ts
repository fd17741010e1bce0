import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, enrollHost, serverBody, startTestPlane } from "../harness";
import { TRAEFIK_TCP_SCHEMA } from "./traefikSchema";

const TRAEFIK_TOKEN = "traefik-poll-token-0123456789";
const tokens = `admin=${ADMIN_TOKEN},traefik:read=${TRAEFIK_TOKEN}`;
const validate = new Ajv({ strict: false }).compile(TRAEFIK_TCP_SCHEMA);

describe("the Traefik HTTP provider endpoint, on a real control plane", () => {
  it("serves a TCP router and service per running server with an address, in Traefik's schema, with an ETag that makes an unchanged poll a 304", async () => {
    const t = await startTestPlane({ ZLH_EDGE_ZONE: "play.test", ZLH_API_TOKENS: tokens }, { runWorker: false });
    const poll = (headers: Record<string, string> = {}) => fetch(`${t.plane.url}/v1/edge/traefik`, { headers: { authorization: `Bearer ${TRAEFIK_TOKEN}`, ...headers } });
    await enrollHost(t.api, "pve1");
    const create = async (i: number) => {
      const s = (await t.api("POST", "/v1/servers", serverBody(i), { "idempotency-key": `tr-${i}` })).body as { id: string; vmid: number; ports: { game: number } };
      return { id: s.id, vmid: s.vmid, gamePort: s.ports.game };
    };
    const [a, b, pending, sameport] = [await create(1), await create(2), await create(3), await create(4)];
    // Fixture: provisioned servers, one of them given a's port (as a server on another host can have: ports are unique per host only).
    await t.sql`update servers set status = 'running', address = ('10.213.77.' || (vmid % 200)::text)::inet where id = any(${[a.id, b.id, sameport.id]})`;
    await t.sql`update servers set game_port = ${a.gamePort} where id = ${sameport.id}`;

    const first = await poll();
    expect(first.status).toBe(200);
    const config = (await first.json()) as { tcp: { routers: Record<string, unknown> } };
    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
    const name = (s: { vmid: number }) => `zlh-mc-fabric-${s.vmid}`;
    expect(config).toEqual({
      tcp: {
        routers: {
          [name(a)]: { entryPoints: [`zlh-${a.gamePort}`], rule: "HostSNI(`*`)", service: name(a) },
          [name(b)]: { entryPoints: [`zlh-${b.gamePort}`], rule: "HostSNI(`*`)", service: name(b) },
        },
        services: {
          [name(a)]: { loadBalancer: { servers: [{ address: `10.213.77.${a.vmid % 200}:${a.gamePort}` }] } },
          [name(b)]: { loadBalancer: { servers: [{ address: `10.213.77.${b.vmid % 200}:${b.gamePort}` }] } },
        },
      },
    });
    expect(JSON.stringify(config)).not.toContain(name(pending));
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^"[\w-]{27}"$/);

    const again = await poll({ "if-none-match": etag! });
    expect([again.status, await again.text(), again.headers.get("etag")]).toEqual([304, "", etag]);

    // Traefik sends no If-None-Match: it skips a body whose hash is the last one's, so an unchanged database must give the same bytes.
    expect(await (await poll()).text()).toBe(JSON.stringify(config));
    // The database changes: b stops; the same ETag now gets the new configuration (the body is kept until a
    // server's edge inputs change, and the trigger's notification arrives at commit).
    await t.sql`update servers set status = 'stopped' where id = ${b.id}`;
    let changed = await poll({ "if-none-match": etag! });
    for (let i = 0; changed.status === 304 && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 50));
      changed = await poll({ "if-none-match": etag! });
    }
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
    expect(Object.keys(((await changed.json()) as typeof config).tcp.routers)).toEqual([name(a)]);

    expect((await fetch(`${t.plane.url}/v1/edge/traefik`)).status).toBe(401);
    expect((await fetch(`${t.plane.url}/v1/edge/traefik`, { headers: { authorization: "Bearer not-a-known-token-at-all" } })).status).toBe(401);
  });

  it("answers 404 edge_not_configured without a zone", async () => {
    const t = await startTestPlane({ ZLH_API_TOKENS: tokens }, { runWorker: false });
    const res = await fetch(`${t.plane.url}/v1/edge/traefik`, { headers: { authorization: `Bearer ${TRAEFIK_TOKEN}` } });
    expect([res.status, await res.json()]).toEqual([404, { error: "edge_not_configured", message: expect.stringMatching(/ZLH_EDGE_ZONE is not set/) }]);
  });
});
