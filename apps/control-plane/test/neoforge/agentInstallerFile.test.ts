import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it, beforeAll } from "vitest";
import { installerFileUrl } from "@zlh/artifacts";
import { enrollHost, serverBody, startTestPlane } from "../harness";

const sha512 = (b: Uint8Array) => createHash("sha512").update(b).digest("hex");

describe("GET /v1/agent/neoforge-file: a NeoForge installer-made file, for the agents of hosts that place it", () => {
  let t: Awaited<ReturnType<typeof startTestPlane>>;
  let host: { id: string; agentToken: string };
  let serverId: string;
  const args = new TextEncoder().encode("-p libraries/a.jar\ncpw.mods.bootstraplauncher.BootstrapLauncher\n");
  const unused = new TextEncoder().encode("made for a server on no host of this test\n");
  // Past two of the route's 4-MiB slices, so it arrives in three reads of the bytea.
  const big = new Uint8Array(randomBytes(9 * 1024 * 1024 + 17));
  beforeAll(async () => {
    t = await startTestPlane();
    host = await enrollHost(t.api, "neoforge-files-host");
    const created = await t.api("POST", "/v1/servers", serverBody(1, { type: "vanilla" }), { "idempotency-key": "neoforge-file-1" });
    expect(created.status).toBe(202);
    serverId = created.body.id;
    for (const b of [args, unused, big]) await t.sql`insert into neoforge_files (sha512, size, data) values (${sha512(b)}, ${b.byteLength}, ${Buffer.from(b)})`;
    // The server's previous manifest places it (a rollback would): resolution never rewrites that column.
    const file = { path: "libraries/net/neoforged/neoforge/21.1.77/unix_args.txt", url: installerFileUrl(sha512(args)), size: args.byteLength, sha512: sha512(args), kind: "installed" };
    const bigFile = { path: "libraries/net/minecraft/server/1.21.1/server-1.21.1-srg.jar", url: installerFileUrl(sha512(big)), size: big.byteLength, sha512: sha512(big), kind: "installed" };
    await t.sql`update servers set previous_manifest = ${t.sql.json({ files: [file, bigFile] })} where id = ${created.body.id}`;
  });

  const get = (token: string | null, hash: string) => fetch(`${t.plane.url}/v1/agent/neoforge-file?sha512=${hash}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it("serves the file to the agent of the host whose server places it", async () => {
    const ok = await get(host.agentToken, sha512(args));
    expect(ok.status).toBe(200);
    expect(new Uint8Array(await ok.arrayBuffer())).toEqual(args);
  });

  it("streams a file of several slices byte for byte, with its length announced", async () => {
    const ok = await get(host.agentToken, sha512(big));
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-length")).toBe(String(big.byteLength));
    const got = Buffer.from(await ok.arrayBuffer());
    expect(got.byteLength).toBe(big.byteLength);
    expect(sha512(got)).toBe(sha512(big));
  });

  it("refuses every other caller: no token, a wrong one, another host's agent, a file no server of the host places, a malformed hash", async () => {
    expect((await get(null, sha512(args))).status).toBe(401);
    expect((await get("not-a-host-token", sha512(args))).status).toBe(401);
    const other = await enrollHost(t.api, "neoforge-files-other");
    const refused = await get(other.agentToken, sha512(args));
    expect({ status: refused.status, body: await refused.json() }).toEqual({
      status: 404,
      body: { error: "not_found", message: `No server of this host places a NeoForge installer file ${sha512(args)}.` },
    });
    expect((await get(host.agentToken, sha512(unused))).status).toBe(404); // stored, but for no server of this host
    expect((await get(host.agentToken, "../../etc/passwd")).status).toBe(404);
  });

  it("stops serving it once the server that placed it is deleted (its row stays, on the host, as the record)", async () => {
    await t.sql`update servers set status = 'deleted', desired_state = 'deleted' where id = ${serverId}`;
    expect((await get(host.agentToken, sha512(args))).status).toBe(404);
  });
});
