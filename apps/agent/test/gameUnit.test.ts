import { mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { GAME_UNIT, heapMiB, renderGameUnit } from "../src/container/gameUnit";
import { installGameUnit, requireSystemd } from "../src/container/installGameUnit";

/** The game's systemd unit: rendered from the memory, enabled before first boot, refused where systemd is not init. */
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function rootfs(withSystemd = true): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "zlh-unit-"));
  dirs.push(root);
  await mkdir(join(root, "etc"), { recursive: true });
  await writeFile(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/bash\nsystemd-network:x:998:998::/:/usr/sbin/nologin\n");
  await writeFile(join(root, "etc/group"), "root:x:0:\nsystemd-network:x:998:\n");
  await writeFile(join(root, "etc/shadow"), "root:*:19700:0:99999:7:::\n");
  if (withSystemd) {
    await mkdir(join(root, "lib/systemd"), { recursive: true });
    await writeFile(join(root, "lib/systemd/systemd"), "");
    await mkdir(join(root, "sbin"));
    await symlink("/lib/systemd/systemd", join(root, "sbin/init"));
  }
  return root;
}

describe("game unit", () => {
  it("gives the JVM 80 % of the container's memory as heap (25 % headroom over the heap) and refuses a container too small", () => {
    expect(heapMiB(1024)).toBe(819);
    expect(heapMiB(4096)).toBe(3276);
    expect(heapMiB(512)).toBe(409);
    expect(() => heapMiB(128)).toThrow(/less than 128 MiB of heap/);
  });

  it("renders a unit that runs the jar as its own user in /srv/minecraft, treats exit 143 as success and never restarts", () => {
    const unit = renderGameUnit({ memoryMiB: 2048, jvmFlags: ["-XX:+UseG1GC"], stopTimeoutSec: 20 });
    expect(unit).toContain("ExecStart=/opt/zlh/java/17/bin/java -Xmx1638M -XX:+UseG1GC -jar fabric-server-launch.jar nogui\n");
    for (const line of ["User=minecraft", "WorkingDirectory=/srv/minecraft", "SuccessExitStatus=143", "Restart=no", "TimeoutStopSec=20", "WantedBy=multi-user.target"]) {
      expect(unit).toContain(`${line}\n`);
    }
  });

  it("refuses flags systemd would expand or split, a second heap flag, and a jar name with a path", () => {
    expect(() => renderGameUnit({ memoryMiB: 1024, jvmFlags: ["-Dx=%h"] })).toThrow(/refusing JVM flag/);
    expect(() => renderGameUnit({ memoryMiB: 1024, jvmFlags: ["-Dx=$HOME"] })).toThrow(/refusing JVM flag/);
    expect(() => renderGameUnit({ memoryMiB: 1024, jvmFlags: ["-Da b"] })).toThrow(/refusing JVM flag/);
    expect(() => renderGameUnit({ memoryMiB: 1024, jvmFlags: ["-Xmx8G"] })).toThrow(/no -Xmx/);
    expect(() => renderGameUnit({ memoryMiB: 1024, jar: "../x.jar" })).toThrow(/not a plain jar/);
  });

  it("installs and enables the unit before first boot, adds the game user once, and rewrites the unit on a second run", async () => {
    const root = await rootfs();
    await installGameUnit(root, null, { memoryMiB: 1024 });
    await installGameUnit(root, null, { memoryMiB: 2048 });
    expect(await readlink(join(root, "etc/systemd/system/multi-user.target.wants", GAME_UNIT))).toBe(`/etc/systemd/system/${GAME_UNIT}`);
    expect(await readFile(join(root, "etc/systemd/system", GAME_UNIT), "utf8")).toContain("-Xmx1638M");
    const passwd = await readFile(join(root, "etc/passwd"), "utf8");
    expect(passwd.match(/^minecraft:/gm)).toHaveLength(1);
    expect(passwd).toContain("minecraft:x:999:999:Minecraft server:/srv/minecraft:/usr/sbin/nologin\n");
    expect(await readFile(join(root, "etc/shadow"), "utf8")).toMatch(/^minecraft:!:/m);
  });

  it("refuses a template without systemd with a sentence that says why", async () => {
    const root = await rootfs(false);
    await expect(requireSystemd(root)).rejects.toThrow(/no systemd as init .* nothing would start it; use a template with systemd/);
    await expect(installGameUnit(root, null, { memoryMiB: 1024 })).rejects.toThrow(/no systemd/);
  });

  it("never writes through a link the rootfs holds (it would land on the host)", async () => {
    const root = await rootfs();
    const outside = join(root, "..", `outside-${Date.now()}`);
    await writeFile(outside, "host file\n");
    dirs.push(outside);
    await rm(join(root, "etc/passwd"));
    await symlink(outside, join(root, "etc/passwd"));
    await expect(installGameUnit(root, null, { memoryMiB: 1024 })).rejects.toThrow(/not a regular file/);
    expect(await readFile(outside, "utf8")).toBe("host file\n");
  });
});
