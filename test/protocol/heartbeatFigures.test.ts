import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leaseNewServer, startProtocolPlane, type ProtocolPlane } from "../support/protocolPlane";
import { waitFor } from "../support/processes";
import { RawAgent } from "../support/rawAgent";

/**
 * A heartbeat renews every lease on its host; the live figures it carries
 * are only shown. A figure the database cannot hold (a double as large as
 * 1e300, or 2^63 past int8) once failed the whole beat with `internal`: no
 * ack, no renewal, nothing stored for any server on the host.
 */
describe("a heartbeat's live figures", () => {
  let p: ProtocolPlane;
  beforeAll(async () => {
    p = await startProtocolPlane("figures-host");
  });
  afterAll(() => p?.close());

  const stat = (server: { id: string; vmid: number }, figures: Record<string, unknown> = {}) => ({ vmid: server.vmid, serverId: server.id, cpuPercent: 12.5, memoryBytes: 1024, ...figures });

  it("leaves out a figure past what is exact or storable (1e300, 2^63, 2^60), renews the leases and stores the rest", async () => {
    const a = await RawAgent.connect(p.plane.url, p.host.agentToken);
    await a.greet();
    const { server, op } = await leaseNewServer(p, a);
    const { server: other } = await leaseNewServer(p, a);
    a.send({
      type: "heartbeat",
      held: [{ opId: op.opId, token: op.token }],
      stats: [stat(server, { memoryBytes: 1e300 }), stat(server, { memoryBytes: 2 ** 63 }), stat(server, { diskBytes: 2 ** 60 }), stat(other, { memoryBytes: 2 ** 40 })],
    });
    expect(await a.next("heartbeat.ack")).toMatchObject({ renewed: [op.opId], lost: [] });
    expect(a.received.filter((m) => m.type === "error")).toEqual([]);
    // Stored after the ack, in one statement for the beat's figures.
    const rows = await waitFor(async () => {
      const r = await p.sql`select id, stats from servers where id in (${server.id}, ${other.id})`;
      return r.some((x) => x.stats !== null) ? r : null;
    }, 5000, "the figures stored");
    expect(rows.find((r) => r.id === server.id)!.stats).toBeNull();
    expect(rows.find((r) => r.id === other.id)!.stats).toMatchObject({ memoryBytes: 2 ** 40, cpuPercent: 12.5 });
    a.close();
  });

  it("acknowledges the beat (its leases renewed) even when storing the figures fails", async () => {
    const a = await RawAgent.connect(p.plane.url, p.host.agentToken);
    await a.greet();
    const { server, op } = await leaseNewServer(p, a);
    // Postgres itself refuses to store any figures from now on.
    await p.sql.unsafe(`create function refuse_stats() returns trigger language plpgsql as $$ begin raise exception 'no figures today'; end $$;
      create trigger refuse_stats before update of stats on servers for each row execute function refuse_stats();`);
    try {
      a.send({ type: "heartbeat", held: [{ opId: op.opId, token: op.token }], stats: [stat(server)] });
      expect(await a.next("heartbeat.ack")).toMatchObject({ renewed: [op.opId], lost: [] });
      const [row] = await p.sql`select stats, lease_expires_at > now() as held from servers s join operations o on o.server_id = s.id where s.id = ${server.id}`;
      expect(row).toMatchObject({ stats: null, held: true });
      // And the session goes on: the next beat is acknowledged too.
      a.send({ type: "heartbeat", held: [{ opId: op.opId, token: op.token }] });
      expect(await a.next("heartbeat.ack")).toMatchObject({ renewed: [op.opId] });
      expect(a.received.filter((m) => m.type === "error")).toEqual([]);
    } finally {
      await p.sql.unsafe("drop trigger refuse_stats on servers; drop function refuse_stats();");
      a.close();
    }
  });
});
