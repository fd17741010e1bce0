import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFile, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { answersPing, waitStatus } from "../support/lifecycle";
import { ADMIN_TOKEN, simServerPids, waitFor } from "../support/processes";
import { writeAsCustomer } from "../support/customerFiles";

type Server = { id: string; vmid: number; ports: { game: number; rcon: number } };
type Event = { type: string; operationId: string | null; data: { reason?: string } };

/** A backup restored into another server of the customer on the same host, through a real agent; an archive swapped for a link or FIFO is refused. */
describe("restore into another server", () => {
  let c: E2eCluster;
  let source: Server;
  let target: Server;
  beforeAll(async () => {
    c = await startE2eCluster("restore-across-host");
    c.startAgent();
    source = await createServer(c.call);
    target = await createServer(c.call);
    await waitStatus(c.call, source.id, "running", 30_000);
    await waitStatus(c.call, target.id, "running", 30_000);
  });
  afterAll(async () => {
    await c?.close();
    // close() sends SIGKILL and does not wait: the two servers' exits are waited for (bounded) before the leak guard looks.
    if (c) await waitFor(async () => (await simServerPids(c.simRoot)).length === 0, 10_000, "simulated servers gone");
  });

  const dir = (s: Server) => join(c.simRoot, String(s.vmid), "rootfs/srv/minecraft");
  const archive = (serverId: string, backupId: string) => join(c.stateDir, "backups", serverId, `${backupId}.tar.gz`);
  const events = async (s: Server) => (await c.call("GET", `/v1/servers/${s.id}/events`)).body.items as Event[];
  const ended = (s: Server, opId: string) =>
    waitFor(async () => (await events(s)).find((e) => e.operationId === opId && (e.type === "server.restored" || e.type === "server.restore_failed")) ?? null, 60_000, "restore ended");
  async function backupOf(s: Server): Promise<string> {
    const asked = await waitFor(async () => {
      const res = await c.call("POST", `/v1/servers/${s.id}/backups`, undefined, { "idempotency-key": `take-${Date.now()}-${Math.random()}` });
      return res.status === 409 && res.body.error === "server_busy" ? null : res;
    }, 20_000, "backup accepted");
    expect(asked.status).toBe(202);
    const done = await waitFor(async () => {
      const items = (await c.call("GET", `/v1/servers/${s.id}/backups`)).body.items as { id: string; status: string }[];
      return items.find((b) => b.id === asked.body.id && b.status !== "pending" && b.status !== "running") ?? null;
    }, 30_000, "backup done");
    expect(done.status).toBe("completed");
    return done.id;
  }
  const restore = (s: Server, backupId: string) =>
    waitFor(async () => {
      const res = await c.call("POST", `/v1/servers/${s.id}/restore`, { backupId });
      return res.status === 409 && res.body.error === "server_busy" ? null : res;
    }, 20_000, "restore accepted");

  it("leaves the target with the source's world, and the target answers again", async () => {
    await writeAsCustomer(dir(source), join(dir(source), "world/marker.txt"), "the source's world");
    await writeAsCustomer(dir(target), join(dir(target), "world/marker.txt"), "the target's world");
    const backupId = await backupOf(source);
    const res = await restore(target, backupId);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ kind: "restore", serverId: target.id, backupId });
    expect((await ended(target, res.body.id)).type).toBe("server.restored");
    expect(await readFile(join(dir(target), "world/marker.txt"), "utf8")).toBe("the source's world");
    expect(await readFile(join(dir(source), "world/marker.txt"), "utf8")).toBe("the source's world");
    await waitStatus(c.call, target.id, "running");
    await waitFor(async () => answersPing(target), 20_000, "target answering after the restore");
  });

  it("refuses an archive swapped for a link to a host file or for a FIFO, without reading it or blocking", async () => {
    for (const swap of ["link", "fifo"] as const) {
      const backupId = await backupOf(source);
      const path = archive(source.id, backupId);
      await rm(path);
      if (swap === "link") await symlink("/etc/passwd", path);
      else execFileSync("mkfifo", [path]);
      const res = await restore(target, backupId);
      expect(res.status).toBe(202);
      const end = await ended(target, res.body.id);
      expect({ swap, type: end.type }).toEqual({ swap, type: "server.restore_failed" });
      expect(end.data.reason).toMatch(/not_regular_file|not a regular file|symbolic link/);
      expect(await readFile(join(dir(target), "world/marker.txt"), "utf8")).toBe("the source's world");
      await rm(path);
    }
    expect(await answersPing(target)).toBe(true);
  });

  it("downloads a completed backup: the archive's bytes, its sha256 as ETag; a tampered archive aborts the response", async () => {
    const backupId = await backupOf(source);
    const url = `${c.cp.url}/v1/servers/${source.id}/backups/${backupId}/download`;
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const res = await fetch(url, { headers });
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    const onDisk = await readFile(archive(source.id, backupId));
    expect(body.equals(onDisk)).toBe(true);
    const sha = createHash("sha256").update(body).digest("hex");
    expect(res.headers.get("etag")).toBe(`"${sha}"`);
    expect(res.headers.get("content-length")).toBe(String(onDisk.length));
    expect(res.headers.get("content-type")).toBe("application/gzip");
    // Reads keep no rows.
    await waitFor(async () => (await c.sql`select count(*)::int as n from operations where kind = 'backup_read'`)[0]!.n === 0, 10_000, "read rows removed");

    // The same size, one byte changed: the client never gets a whole body.
    const tampered = Buffer.from(onDisk);
    tampered[tampered.length - 3] ^= 0xff;
    await writeFile(archive(source.id, backupId), tampered);
    // (A one-chunk archive is refused before its headers leave; a longer one mid-body: the connection is cut either way.)
    const bad = await fetch(url, { headers }).then((r) => r.arrayBuffer()).then(() => "whole", () => "aborted");
    expect(bad).toBe("aborted");
    // A FIFO at the archive's path: a JSON error before anything is sent, and the agent is not blocked.
    await rm(archive(source.id, backupId));
    execFileSync("mkfifo", [archive(source.id, backupId)]);
    const fifo = await fetch(url, { headers });
    expect(fifo.status).toBe(502);
    expect(((await fifo.json()) as { message: string }).message).toMatch(/not a regular file/);
    await rm(archive(source.id, backupId));
    expect(await answersPing(source)).toBe(true);

    const unknown = await fetch(`${c.cp.url}/v1/servers/${source.id}/backups/00000000-0000-0000-0000-000000000000/download`, { headers });
    expect(unknown.status).toBe(404);
  });

  it("downloads an archive of several chunks whole, in order, and none of a backup not yet completed", async () => {
    // Incompressible: the archive is over 3 MiB, so the download takes four reads at least.
    await writeAsCustomer(dir(source), join(dir(source), "world/region.bin"), randomBytes(3 * 1024 * 1024).toString("base64"));
    const backupId = await backupOf(source);
    const onDisk = await readFile(archive(source.id, backupId));
    expect(onDisk.length).toBeGreaterThan(3 * 1024 * 1024);
    const res = await fetch(`${c.cp.url}/v1/servers/${source.id}/backups/${backupId}/download`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(onDisk)).toBe(true);

    await c.sql`update backups set status = 'running' where id = ${backupId}`;
    const running = await c.call("GET", `/v1/servers/${source.id}/backups/${backupId}/download`);
    expect(running.status).toBe(409);
    expect(running.body.error).toBe("invalid_transition");
    await c.sql`update backups set status = 'completed' where id = ${backupId}`;
  });
});
