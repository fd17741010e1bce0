import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, enroll } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { answersPing, waitStatus } from "../support/lifecycle";
import { simServerPids, startAgentProcess, tempDir, waitFor, type Proc } from "../support/processes";
import { writeAsCustomer } from "../support/customerFiles";

type Server = { id: string; vmid: number; hostId: string; ports: { game: number; rcon: number } };
type Event = { type: string; operationId: string | null; data: { reason?: string } };

/**
 * A backup of a server on host A restored into a server on host B: B's agent
 * fetches the archive through the control plane, which relays it from A's
 * agent; bytes that are not the backup, and A being down, fail the restore
 * and leave B's server as it was.
 */
describe("restore across hosts", () => {
  let c: E2eCluster;
  let agentA: Proc;
  let agentB: Proc;
  let simB: string;
  let stateB: string;
  let tokenB: string;
  let source: Server;
  let target: Server;
  beforeAll(async () => {
    c = await startE2eCluster("restore-host-a", { ZLH_COMMAND_TIMEOUT_MS: "3000" });
    agentA = c.startAgent();
    source = await createServer(c.call);
    expect((await c.call("POST", `/v1/hosts/${c.host.id}/cordon`, { reason: "the target goes on host B" })).status).toBe(200);
    const hostB = await enroll(c.call, "restore-host-b");
    simB = await c.newSimRoot();
    stateB = await tempDir("state");
    tokenB = hostB.agentToken;
    agentB = startAgentProcess({ controlUrl: c.cp.url, token: hostB.agentToken, simRoot: simB, stateDir: stateB });
    target = await createServer(c.call);
    expect(target.hostId).toBe(hostB.id);
    await waitStatus(c.call, source.id, "running", 30_000);
    await waitStatus(c.call, target.id, "running", 30_000);
  });
  afterAll(async () => {
    await agentB?.stop();
    await agentA?.stop();
    await c?.close();
    if (c) await waitFor(async () => (await simServerPids(c.simRoot)).length === 0 && (await simServerPids(simB)).length === 0, 10_000, "simulated servers gone");
  });

  const dirA = (s: Server) => join(c.simRoot, String(s.vmid), "rootfs/srv/minecraft");
  const dirB = (s: Server) => join(simB, String(s.vmid), "rootfs/srv/minecraft");
  const archive = (backupId: string) => join(c.stateDir, "backups", source.id, `${backupId}.tar.gz`);
  const fetched = async () => readdir(join(stateB, "backups/.fetched")).catch(() => []);
  const ended = (opId: string) =>
    waitFor(
      async () => ((await c.call("GET", `/v1/servers/${target.id}/events`)).body.items as Event[]).find((e) => e.operationId === opId && (e.type === "server.restored" || e.type === "server.restore_failed")) ?? null,
      90_000,
      "restore ended",
    );
  async function backupOfSource(): Promise<string> {
    const asked = await waitFor(async () => {
      const res = await c.call("POST", `/v1/servers/${source.id}/backups`, undefined, { "idempotency-key": `take-${Date.now()}-${Math.random()}` });
      return res.status === 409 && res.body.error === "server_busy" ? null : res;
    }, 20_000, "backup accepted");
    expect(asked.status).toBe(202);
    const done = await waitFor(async () => {
      const items = (await c.call("GET", `/v1/servers/${source.id}/backups`)).body.items as { id: string; status: string }[];
      return items.find((b) => b.id === asked.body.id && b.status !== "pending" && b.status !== "running") ?? null;
    }, 30_000, "backup done");
    expect(done.status).toBe("completed");
    return done.id;
  }
  async function restore(backupId: string): Promise<Event> {
    const res = await waitFor(async () => {
      const r = await c.call("POST", `/v1/servers/${target.id}/restore`, { backupId });
      return r.status === 409 && r.body.error === "server_busy" ? null : r;
    }, 20_000, "restore accepted");
    expect(res.status).toBe(202);
    const end = await ended(res.body.id);
    // One end per restore: a retried attempt (requeued) records none of its own.
    const ends = ((await c.call("GET", `/v1/servers/${target.id}/events`)).body.items as Event[]).filter((e) => e.operationId === res.body.id && /^server\.restore(d|_failed)$/.test(e.type));
    expect(ends).toHaveLength(1);
    return end;
  }

  it("brings the source's world to the target on the other host, and keeps no copy of the archive there", async () => {
    await writeAsCustomer(dirA(source), join(dirA(source), "world/marker.txt"), "the world of host A");
    await writeAsCustomer(dirB(target), join(dirB(target), "world/marker.txt"), "the world of host B");
    const backupId = await backupOfSource();
    expect((await restore(backupId)).type).toBe("server.restored");
    expect(await readFile(join(dirB(target), "world/marker.txt"), "utf8")).toBe("the world of host A");
    expect(await fetched()).toEqual([]);
    await waitStatus(c.call, target.id, "running");
    await waitFor(async () => answersPing(target), 20_000, "target answering after the restore");
    await waitFor(async () => (await c.sql`select count(*)::int as n from operations where kind = 'backup_read'`)[0]!.n === 0, 10_000, "relay rows removed");
  });

  it("resumes a fetch from the bytes an interrupted one left, and relays only to the host holding the restore's lease", async () => {
    const backupId = await backupOfSource();
    const whole = await readFile(archive(backupId));
    await mkdir(join(stateB, "backups/.fetched"), { recursive: true });
    await writeFile(join(stateB, "backups/.fetched", `${backupId}.tar.gz.part`), whole.subarray(0, 1000));
    const done = await restore(backupId);
    expect(done.type).toBe("server.restored");
    const relayed = c.cp.output.flatMap((l) => (l.startsWith("{") ? [JSON.parse(l) as Record<string, unknown>] : [])).find((l) => l.msg === "backup relayed for a restore" && l.backupId === backupId);
    expect(relayed).toMatchObject({ from: 1000, bytes: whole.length - 1000 });
    expect(await fetched()).toEqual([]);

    const url = `${c.cp.url}/v1/agent/restores/${done.operationId}/archive`;
    expect((await fetch(url)).status).toBe(401);
    const otherHost = await fetch(url, { headers: { authorization: `Bearer ${c.host.agentToken}` } });
    expect(otherHost.status).toBe(404);
    const ended = await fetch(url, { headers: { authorization: `Bearer ${tokenB}` } });
    expect(ended.status).toBe(409);
    expect(((await ended.json()) as { message: string }).message).toMatch(/only while it is leased/);
  });

  it("refuses a relayed archive that is not the backup (a byte changed, or cut short), leaving the target's world", async () => {
    await writeAsCustomer(dirB(target), join(dirB(target), "world/marker.txt"), "still host B's");
    const backupId = await backupOfSource();
    const whole = await readFile(archive(backupId));
    const changed = Buffer.from(whole);
    changed[changed.length - 3] ^= 0xff;
    await writeFile(archive(backupId), changed);
    const corrupt = await restore(backupId);
    expect(corrupt.type).toBe("server.restore_failed");
    expect(corrupt.data.reason).toMatch(/backup_corrupt|sha256/);
    expect(await fetched()).toEqual([]);

    await writeFile(archive(backupId), whole.subarray(0, whole.length - 100));
    const short = await restore(backupId);
    expect(short.type).toBe("server.restore_failed");
    expect(short.data.reason).toMatch(/not the backup/);
    expect(await readFile(join(dirB(target), "world/marker.txt"), "utf8")).toBe("still host B's");
    expect(await answersPing(target)).toBe(true);
  });

  it("fails the restore with a clear reason when the source host is down, and the target keeps running", async () => {
    const backupId = await backupOfSource();
    await agentA.stop();
    const down = await restore(backupId);
    expect(down.type).toBe("server.restore_failed");
    expect(down.data.reason).toMatch(/did not answer/);
    const live = await c.sql`select count(*)::int as n from operations where server_id = ${target.id} and status in ('queued', 'leased')`;
    expect(live[0]!.n).toBe(0);
    expect(await readFile(join(dirB(target), "world/marker.txt"), "utf8")).toBe("still host B's");
    expect(await answersPing(target)).toBe(true);
  });
});
