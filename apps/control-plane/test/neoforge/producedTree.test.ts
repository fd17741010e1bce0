import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readProducedTree, TreeRefusedError } from "../../src/neoforge/producedTree";

describe("the installer's produced tree, pinned file by file", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "zlh-tree-"));
    await mkdir(join(dir, "libraries/a"), { recursive: true });
    await writeFile(join(dir, "libraries/a/b.jar"), "jar");
    await writeFile(join(dir, "run.sh"), "#!/bin/sh\n");
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("hashes every regular file, sorted by path", async () => {
    const tree = await readProducedTree(dir);
    expect(tree.map((f) => [f.path, f.size])).toEqual([
      ["libraries/a/b.jar", 3],
      ["run.sh", 10],
    ]);
    expect(tree[0]!.sha1).toBe("f92e777f4341930bad9b2422283c4680d00dbc06"); // sha1 of "jar"
    expect(tree[0]!.sha512).toMatch(/^[0-9a-f]{128}$/);
  });

  it("refuses a symbolic link, never following it (to a file or to a directory)", async () => {
    await symlink("/etc/passwd", join(dir, "libraries/a/passwd"));
    await expect(readProducedTree(dir)).rejects.toThrow("the NeoForge installer made a symbolic link at libraries/a/passwd; refused.");
    await rm(join(dir, "libraries/a/passwd"));
    await symlink("/etc", join(dir, "etc"));
    await expect(readProducedTree(dir)).rejects.toThrow(TreeRefusedError);
  });

  it("refuses a name placement would read as another path or refuse at every boot: a backslash, a control character", async () => {
    // The agent splits a manifest path on "\\" as well as "/" (apps/agent/src/placement/placeServer.ts): a file named
    // "..\\x" is a ".." segment there, refused as unsafe_path (not retryable) on every placement of every server
    // pinning the build; it must be the resolution's refusal, once.
    await writeFile(join(dir, "libraries/..\\x"), "escape");
    await expect(readProducedTree(dir)).rejects.toThrow('the NeoForge installer made "libraries/..\\\\x", a name placement cannot carry (a backslash or a control character); refused.');
    await rm(join(dir, "libraries/..\\x"));
    await writeFile(join(dir, "run\nsh"), "x");
    await expect(readProducedTree(dir)).rejects.toThrow(TreeRefusedError);
  });

  it("refuses a FIFO without blocking on it", async () => {
    execFileSync("mkfifo", [join(dir, "libraries/pipe")]);
    await expect(readProducedTree(dir)).rejects.toThrow("the NeoForge installer made libraries/pipe, which is not a regular file (a FIFO, socket or device); refused.");
  });

  it("refuses a tree past its file count or its size", async () => {
    await expect(readProducedTree(dir, { maxFiles: 1, maxBytes: 1 << 20 })).rejects.toThrow("the NeoForge installer made more than 1 files; refused.");
    await expect(readProducedTree(dir, { maxFiles: 10, maxBytes: 5 })).rejects.toThrow("the NeoForge installer made more than 5 bytes of files; refused.");
  });
});
