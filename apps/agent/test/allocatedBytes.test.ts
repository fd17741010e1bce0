import { execFileSync } from "node:child_process";
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { allocatedBytes } from "../src/runtime/allocatedBytes";

const roomy = () => ({ maxEntries: 10_000, maxDepth: 64, deadline: Date.now() + 60_000 });
/** What GNU du says the tree allocates, in bytes (-x: one filesystem), the walk's reference. */
const du = (dir: string) => Number(execFileSync("du", ["-sxB1", dir], { encoding: "utf8" }).split("\t")[0]);

/** The disk walk runs as root on the customer's tree: it must count what is allocated there and nothing else. */
describe("allocatedBytes: the disk walk of a customer's tree", () => {
  let base: string;
  let tree: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), "zlh-du-"));
    tree = join(base, "tree");
    mkdirSync(join(tree, "world", "region"), { recursive: true });
    writeFileSync(join(tree, "world", "region", "r.0.0.mca"), Buffer.alloc(256 * 1024, 1));
    writeFileSync(join(tree, "server.properties"), "motd=hi\n");
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it("counts what du counts, and not what links point at outside the tree, a FIFO's nothing, a sparse file's holes or a hard link twice", async () => {
    const outside = join(base, "outside");
    mkdirSync(outside);
    writeFileSync(join(outside, "big"), Buffer.alloc(4 * 1024 * 1024, 2));
    const before = await allocatedBytes(tree, roomy());
    expect(before).toBe(du(tree));
    expect(before).toBeGreaterThanOrEqual(256 * 1024);

    symlinkSync(join(outside, "big"), join(tree, "link-to-file"));
    symlinkSync(outside, join(tree, "link-to-dir"));
    symlinkSync("/", join(tree, "world", "link-to-root"));
    execFileSync("mkfifo", [join(tree, "fifo")]); // opened, it would block the walk forever
    writeFileSync(join(tree, "sparse"), "");
    truncateSync(join(tree, "sparse"), 4 * 1024 ** 3); // 4 GiB long, nothing allocated
    linkSync(join(tree, "world", "region", "r.0.0.mca"), join(tree, "hardlink.mca"));

    const after = await allocatedBytes(tree, roomy());
    expect(after).toBe(du(tree));
    expect(after).toBeLessThan((before as number) + 64 * 1024); // the links, FIFO and sparse file add inodes' worth, not GiB
  });

  it("gives no figure (null) past its bounds: too deep, too many entries, out of time, or no tree", async () => {
    let deep = join(tree, "deep");
    for (let i = 0; i < 12; i++) deep = join(deep, "d");
    mkdirSync(deep, { recursive: true });
    expect(await allocatedBytes(tree, { ...roomy(), maxDepth: 8 })).toBeNull();
    expect(await allocatedBytes(tree, { ...roomy(), maxDepth: 13 })).toBe(du(tree));
    expect(await allocatedBytes(tree, { ...roomy(), maxEntries: 5 })).toBeNull();
    expect(await allocatedBytes(tree, { ...roomy(), deadline: Date.now() - 1 })).toBeNull();
    expect(await allocatedBytes(join(base, "gone"), roomy())).toBeNull();
    symlinkSync(tree, join(base, "root-link"));
    expect(await allocatedBytes(join(base, "root-link"), roomy())).toBeNull(); // the root itself is never followed either
  });
});
