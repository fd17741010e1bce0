import { createHash } from "node:crypto";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { answersPing, waitStatus } from "../support/lifecycle";
import { ADMIN_TOKEN, waitFor } from "../support/processes";
import { writeAsCustomer } from "../support/customerFiles";

type BackupItem = { id: string; status: string; sizeBytes: number | null; sha256: string | null };

/** The console over RCON, and backups: taken, verified, restored, retained, deleted. */
describe("console and backups", () => {
  let c: E2eCluster;
  let server: { id: string; vmid: number; ports: { game: number; rcon: number } };
  beforeAll(async () => {
    c = await startE2eCluster("console-host", { ZLH_BACKUP_KEEP: "2" });
    c.startAgent();
    server = await createServer(c.call);
    await waitStatus(c.call, server.id, "running", 30_000);
  });
  afterAll(() => c?.close());

  const dir = () => join(c.simRoot, String(server.vmid), "rootfs/srv/minecraft");
  const archive = (backupId: string) => join(c.stateDir, "backups", server.id, `${backupId}.tar.gz`);
  const command = (cmd: unknown) => c.call("POST", `/v1/servers/${server.id}/commands`, { command: cmd });
  const backups = async () => (await c.call("GET", `/v1/servers/${server.id}/backups`)).body.items as BackupItem[];
  const takeBackup = async () => {
    // A client retries server_busy: a heal or a retention removal may be running on the server.
    const asked = await waitFor(async () => {
      const res = await c.call("POST", `/v1/servers/${server.id}/backups`);
      if (res.status === 409 && res.body.error === "server_busy") return null;
      return res;
    }, 20_000, "backup accepted");
    expect(asked.status).toBe(202);
    return waitFor(async () => (await backups()).find((b) => b.id === asked.body.id && b.status !== "pending" && b.status !== "running") ?? null, 20_000, "backup done");
  };
  const eventTypes = async () => ((await c.call("GET", `/v1/servers/${server.id}/events`)).body.items as { type: string }[]).map((e) => e.type);

  it("runs console commands over RCON and returns the server's replies, audited with the client", async () => {
    expect((await command("list")).body).toEqual({ reply: "There are 0 of a max of 20 players online: " });
    expect((await command("/say hello from the panel")).body).toEqual({ reply: "" });
    expect(await readFile(join(dir(), "logs/latest.log"), "utf8")).toContain("[Rcon] hello from the panel");
    expect((await command("save-all")).body.reply).toBe("Saving the game (this may take a moment!)Saved the game");
    expect((await command("nonsense")).body.reply).toMatch(/^Unknown or incomplete command/);
    const events = (await c.call("GET", `/v1/servers/${server.id}/events`)).body.items as { type: string; actor: string | null; data: { command?: string } }[];
    const audited = events.filter((e) => e.type === "server.command");
    expect(audited.map((e) => e.data.command)).toEqual(["list", "/say hello from the panel", "save-all", "nonsense"]);
    expect(audited.every((e) => e.actor !== null)).toBe(true);
  });

  it("shows the console log's last lines, and streams new ones live (resuming after Last-Event-ID)", async () => {
    const tail = await c.call("GET", `/v1/servers/${server.id}/logs?tail=2`);
    expect(tail.status).toBe(200);
    expect(tail.body.lines).toHaveLength(2);
    expect(tail.body.lines.join("\n")).toMatch(/\[Rcon\]|Saved the game|Done!/);
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const res = await fetch(`${c.cp.url}/v1/servers/${server.id}/logs/stream?tail=0`, { headers });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = "";
    const said = command("say streamed line");
    while (!text.includes("[Rcon] streamed line")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await said;
    await reader.cancel();
    expect(text).toMatch(/data: \[\d\d:\d\d:\d\d\] \[main\/INFO\]: \[Rcon\] streamed line/);
    const lastId = [...text.matchAll(/^id: (\d+)$/gm)].at(-1)![1]!;
    // Resuming after the last id sees only what came after it.
    await command("say after the reconnect");
    const again = await fetch(`${c.cp.url}/v1/servers/${server.id}/logs/stream`, { headers: { ...headers, "last-event-id": lastId } });
    const r2 = again.body!.getReader();
    let text2 = "";
    while (!text2.includes("after the reconnect")) {
      const { value, done } = await r2.read();
      if (done) break;
      text2 += new TextDecoder().decode(value);
    }
    await r2.cancel();
    expect(text2).not.toContain("streamed line");
    // Reads keep no rows: each stream's one row goes with it.
    await waitFor(async () => (await c.sql`select count(*)::int as n from operations where kind = 'logs'`)[0]!.n === 0, 10_000, "log rows removed");
  });

  it("refuses a command that is not one printable line, or longer than vanilla's RCON takes (1446 UTF-8 bytes), and writes nothing", async () => {
    const before = (await eventTypes()).length;
    for (const bad of ["", "say a\nop me", "x".repeat(1447), 42]) expect((await command(bad)).status, JSON.stringify(bad)).toBe(400);
    // 483 characters, 1449 bytes: within any character limit, beyond what vanilla reads.
    const euros = await command(`say ${"€".repeat(482)}`);
    expect(euros.status).toBe(400);
    expect(euros.body).toEqual({
      error: "invalid_request",
      message: "body.command is 1450 bytes in UTF-8; vanilla's RCON accepts at most 1446.",
      problems: [{ field: "body.command", message: "is 1450 bytes in UTF-8; vanilla's RCON accepts at most 1446" }],
    });
    expect((await eventTypes()).length).toBe(before);
    // The longest command vanilla takes goes through (the simulated server drops longer ones as vanilla does).
    expect((await command(`say ${"é".repeat(721)}`)).body).toEqual({ reply: "" });
    // In ASCII that is 1446 characters: the wire carries as many as the API accepts (it once refused past 1000,
    // and the host asked for no work again).
    const longest = `say ${"a".repeat(1442)}`;
    expect((await command(longest)).body).toEqual({ reply: "" });
    expect(await readFile(join(dir(), "logs/latest.log"), "utf8")).toContain(`[Rcon] ${"a".repeat(1442)}`);
    expect((await command("list")).body.reply).toMatch(/^There are 0 of a max/); // and the host still takes work
  });

  it("backs up a running server consistently, restores it after the world changed, and refuses a corrupted archive", async () => {
    await writeAsCustomer(dir(), join(dir(), "world/marker.txt"), "before");
    const taken = await takeBackup();
    expect(taken.status).toBe("completed");
    const bytes = await readFile(archive(taken.id));
    expect(taken.sizeBytes).toBe(bytes.length);
    expect(taken.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    const log = await readFile(join(dir(), "logs/latest.log"), "utf8");
    expect(log.indexOf("Automatic saving is now disabled")).toBeLessThan(log.lastIndexOf("Automatic saving is now enabled"));

    await writeAsCustomer(dir(), join(dir(), "world/marker.txt"), "after");
    expect((await c.call("POST", `/v1/servers/${server.id}/backups/${taken.id}/restore`)).status).toBe(202);
    await waitFor(async () => (await eventTypes()).includes("server.restored"), 30_000, "restored");
    expect(await readFile(join(dir(), "world/marker.txt"), "utf8")).toBe("before");
    await waitStatus(c.call, server.id, "running");
    await waitFor(async () => answersPing(server), 10_000, "answering after the restore");

    // An archive that no longer matches its sha256 is refused before anything is touched.
    const second = await takeBackup();
    await writeAsCustomer(dir(), join(dir(), "world/marker.txt"), "current");
    const corrupt = Buffer.from(await readFile(archive(second.id)));
    corrupt[corrupt.length - 5] ^= 0xff;
    await writeFile(archive(second.id), corrupt);
    await c.call("POST", `/v1/servers/${server.id}/backups/${second.id}/restore`);
    await waitFor(async () => (await eventTypes()).includes("server.restore_failed"), 30_000, "restore refused");
    expect(await readFile(join(dir(), "world/marker.txt"), "utf8")).toBe("current");
    expect(await answersPing(server)).toBe(true);
  });

  it("keeps ZLH_BACKUP_KEEP backups, removing older archives, and deletes one on request", async () => {
    for (let i = 0; i < 2; i++) await takeBackup();
    await waitFor(async () => (await backups()).length === 2, 20_000, "retention applied");
    const kept = await backups();
    expect(kept.every((b) => b.status === "completed")).toBe(true);
    for (const b of kept) expect((await stat(archive(b.id))).size).toBe(b.sizeBytes);
    const removed = await c.call("DELETE", `/v1/servers/${server.id}/backups/${kept[1]!.id}`);
    expect(removed.status).toBe(200);
    expect((await backups()).map((b) => b.id)).toEqual([kept[0]!.id]);
    await waitFor(async () => stat(archive(kept[1]!.id)).then(() => false, () => true), 20_000, "archive removed");
    expect((await c.call("DELETE", `/v1/servers/${server.id}/backups/${kept[1]!.id}`)).body.error).toBe("backup_not_found");
  });
});
