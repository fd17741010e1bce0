import { execFileSync } from "node:child_process";
import { mkdir, rm, symlink, truncate, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EVIDENCE_BOUNDS, jsonTextBytes } from "@zlh/domain";
import { readCrashEvidence } from "../src/container/crashEvidence";
import { atGuest, giveToGuest, guestRootfs } from "./support/guestRoot";

/** A container tree with a server directory, its logs and crash-reports, and /run. */
async function tree() {
  const root = await guestRootfs("zlh-crash-");
  const srv = join(root, "srv/minecraft");
  await mkdir(join(srv, "logs"), { recursive: true });
  await mkdir(join(srv, "crash-reports"), { recursive: true });
  await mkdir(join(root, "run"), { recursive: true });
  return { root, srv };
}

const REPORT = (description: string) =>
  `---- Minecraft Crash Report ----\n// Why did you do that?\n\nTime: 2026-12-02 10:15:42\nDescription: ${description}\n\njava.lang.NullPointerException: boom\n\tat net.minecraft.server.MinecraftServer.tick(MinecraftServer.java:1)\n`;

describe("a crashed game's evidence, read through the container boundary", () => {
  it("reads the log's and stderr's last lines and the newest crash report of the run, bounded and made safe", async () => {
    const { root, srv } = await tree();
    try {
      const log = Array.from({ length: 5000 }, (_, i) => `[10:00:00] [Server thread/INFO]: line ${i}`).join("\n");
      await writeFile(join(srv, "logs/latest.log"), `${log}\n[10:00:01] [Server thread/ERROR]: \x1b[31mboom\x1b[0m\n`);
      await writeFile(join(root, "run/zlh-server.stderr"), Buffer.concat([Buffer.from("bad "), Buffer.from([0xff]), Buffer.from(" byte\n")]));
      await writeFile(join(srv, "crash-reports/crash-2026-12-01_09.00.00-server.txt"), REPORT("Old one"));
      await writeFile(join(srv, "crash-reports/crash-2026-12-02_10.15.42-server.txt"), REPORT("Ticking entity"));
      await writeFile(join(srv, "crash-reports/notes.txt"), REPORT("Not a crash report name"));
      await giveToGuest(root);
      const e = await atGuest(root, (g) => readCrashEvidence(g, { result: "exit-code", code: "exited", status: "1" }));
      expect(e.log).toHaveLength(40);
      expect(e.log!.at(-1)).toBe("[10:00:01] [Server thread/ERROR]: boom");
      expect(e.stderr).toEqual(["bad \ufffd byte"]);
      expect(e.crashReport).toMatchObject({ name: "crash-2026-12-02_10.15.42-server.txt", lines: expect.arrayContaining(["Description: Ticking entity"]) });
      expect(e.exit).toEqual({ result: "exit-code", code: "exited", status: "1" });
      expect(e.refused).toBeUndefined();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("leaves out a crash report older than the run (a game killed without writing one)", async () => {
    const { root, srv } = await tree();
    try {
      await writeFile(join(srv, "logs/latest.log"), "[10:00:00] [Server thread/INFO]: Done\n");
      const report = join(srv, "crash-reports/crash-2026-12-01_09.00.00-server.txt");
      await writeFile(report, REPORT("From yesterday"));
      await utimes(report, new Date(Date.now() - 86_400_000), new Date(Date.now() - 86_400_000));
      await giveToGuest(root);
      const e = await atGuest(root, (g) => readCrashEvidence(g, null));
      expect(e.crashReport).toBeUndefined();
      expect(e.log).toEqual(["[10:00:00] [Server thread/INFO]: Done"]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("refuses a FIFO log and a link to a host file, reads a huge sparse crash report's head only, and never blocks", async () => {
    const { root, srv } = await tree();
    try {
      execFileSync("mkfifo", [join(srv, "logs/latest.log")]);
      await symlink("/etc/shadow", join(root, "run/zlh-server.stderr"));
      const report = join(srv, "crash-reports/crash-2026-12-02_10.15.42-server.txt");
      await writeFile(report, REPORT("Huge"));
      await truncate(report, 8 * 1024 ** 3); // 8 GiB, sparse: only the head is read
      await giveToGuest(root);
      const e = await atGuest(root, (g) => readCrashEvidence(g, null));
      expect(e.log).toBeUndefined();
      expect(e.stderr).toBeUndefined();
      expect(e.refused).toEqual([
        expect.stringContaining("srv/minecraft/logs/latest.log is a FIFO, not a regular file; refused"),
        expect.stringContaining("run/zlh-server.stderr is a symlink, not a regular file; refused"),
      ]);
      expect(e.crashReport!.lines.length).toBeLessThanOrEqual(60);
      expect(e.crashReport!.lines).toContain("Description: Huge");
      expect(JSON.stringify(e).length).toBeLessThan(40_000);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("a crash-reports directory that is a link is refused, not followed", async () => {
    const { root, srv } = await tree();
    try {
      await rm(join(srv, "crash-reports"), { recursive: true });
      await symlink("/var/log", join(srv, "crash-reports"));
      await giveToGuest(root);
      const e = await atGuest(root, (g) => readCrashEvidence(g, null));
      expect(e.crashReport).toBeUndefined();
      expect(e.refused).toEqual([expect.stringMatching(/^srv\/minecraft\/crash-reports: /)]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("files at their worst (0xFF bytes, control characters, emoji, lone surrogates' bytes) are sent within each field's byte budget, a log keeping its tail", async () => {
    const { root, srv } = await tree();
    try {
      // Per line: 299 bytes of 0xFF (each read as U+FFFD, 3 bytes), control characters (each U+FFFD), emoji cut by
      // the 300-character line limit, and the UTF-8 of surrogates (ED A0 80: invalid, each byte U+FFFD).
      const kinds = [Buffer.alloc(299, 0xff), Buffer.alloc(299, 0x01), Buffer.from("\u{1F600}".repeat(200)), Buffer.from(Array(100).fill([0xed, 0xa0, 0x80]).flat())];
      const junk = (n: number, last: string) => Buffer.concat([...Array.from({ length: n }, (_, i) => Buffer.concat([kinds[i % 4]!, Buffer.from("\n")])), Buffer.from(`${last}\n`)]);
      await writeFile(join(srv, "logs/latest.log"), junk(200, "[10:00:01] [Server thread/ERROR]: the last line"));
      await writeFile(join(root, "run/zlh-server.stderr"), junk(100, "stderr's last line"));
      await writeFile(join(srv, "crash-reports/crash-2026-12-02_10.15.42-server.txt"), Buffer.concat([Buffer.from("---- Minecraft Crash Report ----\n"), junk(100, "end")]));
      await giveToGuest(root);
      const e = await atGuest(root, (g) => readCrashEvidence(g, { result: "exit-code", code: "exited", status: "1" }));
      expect(jsonTextBytes(e.log)).toBeLessThanOrEqual(EVIDENCE_BOUNDS.log.maxBytes);
      expect(jsonTextBytes(e.stderr)).toBeLessThanOrEqual(EVIDENCE_BOUNDS.stderr.maxBytes);
      expect(jsonTextBytes(e.crashReport!.lines)).toBeLessThanOrEqual(EVIDENCE_BOUNDS.crashReport.maxBytes);
      expect(e.truncated).toBe(true);
      expect(e.log!.at(-1)).toBe("[10:00:01] [Server thread/ERROR]: the last line");
      expect(e.stderr!.at(-1)).toBe("stderr's last line");
      expect(e.crashReport!.lines[0]).toBe("---- Minecraft Crash Report ----");
      // Nothing left that JSON would escape or jsonb refuse: no control character, no half of a surrogate pair.
      const text = [...e.log!, ...e.stderr!, ...e.crashReport!.lines].join("");
      expect(text).toMatch(/\ufffd/);
      expect(text).toMatch(/\u{1F600}/u);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: that no control character is left is the point.
      expect(text).not.toMatch(/[\x00-\x08\x0a-\x1f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
