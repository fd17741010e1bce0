import { lstat, mkdir, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { GAME_UNIT, heapMiB, renderGameUnit } from "../src/container/gameUnit";
import { ENABLE_DROP_IN, installGameUnit, requireSystemd } from "../src/container/installGameUnit";
import { javaMajorFor } from "../src/container/javaMajor";
import { atGuest, giveToGuest, guestRootfs, TEST_IDENTITY } from "./support/guestRoot";

/** The game's systemd unit: rendered from the memory, enabled before first boot, refused where systemd is not init. */
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A container's tree as Debian 12 lays it out (merged /usr: /lib and /sbin are links), owned by the container's root. */
async function rootfs(init: "systemd" | "sysvinit" | "none" = "systemd"): Promise<string> {
  const root = await guestRootfs("zlh-unit-");
  dirs.push(root);
  await mkdir(join(root, "etc"), { recursive: true });
  await writeFile(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/bash\nsystemd-network:x:998:998::/:/usr/sbin/nologin\n");
  await writeFile(join(root, "etc/group"), "root:x:0:\nsystemd-network:x:998:\nnogroup:x:999:\n");
  await writeFile(join(root, "etc/shadow"), "root:*:19700:0:99999:7:::\n");
  await mkdir(join(root, "usr/sbin"), { recursive: true });
  await symlink("usr/lib", join(root, "lib"));
  await symlink("usr/sbin", join(root, "sbin"));
  if (init !== "none") {
    await mkdir(join(root, "usr/lib/systemd"), { recursive: true });
    await writeFile(join(root, "usr/lib/systemd/systemd"), "");
  }
  if (init === "systemd") await symlink("/lib/systemd/systemd", join(root, "usr/sbin/init"));
  if (init === "sysvinit") await writeFile(join(root, "usr/sbin/init"), "a binary of its own");
  await giveToGuest(root);
  return root;
}

const install = (root: string, memoryMiB = 1024) => atGuest(root, (g) => installGameUnit(g, { memoryMiB, javaMajor: 17 }));

describe("game unit", () => {
  it("gives the JVM 80 % of the container's memory as heap (25 % headroom over the heap) and refuses a container too small", () => {
    expect(heapMiB(1024)).toBe(819);
    expect(heapMiB(4096)).toBe(3276);
    expect(heapMiB(512)).toBe(409);
    expect(() => heapMiB(128)).toThrow(/less than 128 MiB of heap/);
  });

  it("renders a unit that runs the jar as its own user in /srv/minecraft, treats exit 143 as success and never restarts", () => {
    const unit = renderGameUnit({ memoryMiB: 2048, javaMajor: 21, jvmFlags: ["-XX:+UseG1GC"], stopTimeoutSec: 20 });
    expect(unit).toContain("ExecStart=/opt/zlh/java/21/bin/java -Xmx1638M -XX:+UseG1GC -jar fabric-server-launch.jar nogui\n");
    for (const line of ["User=minecraft", "WorkingDirectory=/srv/minecraft", "SuccessExitStatus=143", "Restart=no", "TimeoutStopSec=20", "WantedBy=multi-user.target"]) {
      expect(unit).toContain(`${line}\n`);
    }
  });

  it("refuses flags systemd would expand or split, a second heap flag, and a jar name with a path", () => {
    expect(() => renderGameUnit({ memoryMiB: 1024, javaMajor: 17, jvmFlags: ["-Dx=%h"] })).toThrow(/refusing JVM flag/);
    expect(() => renderGameUnit({ memoryMiB: 1024, javaMajor: 17, jvmFlags: ["-Dx=$HOME"] })).toThrow(/refusing JVM flag/);
    expect(() => renderGameUnit({ memoryMiB: 1024, javaMajor: 17, jvmFlags: ["-Da b"] })).toThrow(/refusing JVM flag/);
    expect(() => renderGameUnit({ memoryMiB: 1024, javaMajor: 17, jvmFlags: ["-Xmx8G"] })).toThrow(/no -Xmx/);
    expect(() => renderGameUnit({ memoryMiB: 1024, javaMajor: 17, jar: "../x.jar" })).toThrow(/not a plain jar/);
  });

  it("starts a NeoForge server from its args files, each one token, and refuses an args file path that could leave the server directory", () => {
    const argFiles = ["user_jvm_args.txt", "libraries/net/neoforged/neoforge/21.1.77/unix_args.txt"];
    expect(renderGameUnit({ memoryMiB: 2048, javaMajor: 21, argFiles })).toContain(
      "ExecStart=/opt/zlh/java/21/bin/java -Xmx1638M @user_jvm_args.txt @libraries/net/neoforged/neoforge/21.1.77/unix_args.txt nogui\n",
    );
    for (const bad of ["../etc/args.txt", "/etc/args.txt", "a b.txt", "x/../../y.txt", "args.sh", "%h.txt"]) {
      expect(() => renderGameUnit({ memoryMiB: 1024, javaMajor: 21, argFiles: [bad] })).toThrow(/not a plain args file path/);
    }
    expect(() => renderGameUnit({ memoryMiB: 1024, javaMajor: 21, jar: "server.jar", argFiles })).toThrow(/not both/);
  });

  it("picks the game's Java: the control plane's when it names one, else 17 up to 1.20.4 and 21 from 1.20.5 (and for a snapshot)", () => {
    expect(javaMajorFor("1.20.4")).toBe(17);
    expect(javaMajorFor("1.18.2")).toBe(17);
    expect(javaMajorFor("1.20")).toBe(17);
    expect(javaMajorFor("1.20.5")).toBe(21);
    expect(javaMajorFor("1.21.1")).toBe(21);
    expect(javaMajorFor("1.21")).toBe(21);
    expect(javaMajorFor("24w14a")).toBe(21);
    expect(javaMajorFor("26.1")).toBe(25);
    expect(javaMajorFor("1.21.1", 25)).toBe(25);
    expect(() => javaMajorFor("1.21.1", 7)).toThrow(/not a Java major/);
    expect(() => renderGameUnit({ memoryMiB: 1024, javaMajor: 1.5 })).toThrow(/not a Java major/);
  });

  it("installs and enables the unit before first boot (a drop-in, no link), adds the game user once, rewrites the unit on a second run", async () => {
    const root = await rootfs();
    await install(root, 1024);
    await install(root, 2048);
    expect(await readFile(join(root, ENABLE_DROP_IN), "utf8")).toContain(`[Unit]\nWants=${GAME_UNIT}\n`);
    expect(await readFile(join(root, "etc/systemd/system", GAME_UNIT), "utf8")).toContain("-Xmx1638M");
    const passwd = await readFile(join(root, "etc/passwd"), "utf8");
    expect(passwd.match(/^minecraft:/gm)).toHaveLength(1);
    // 999 is nogroup's: the first id free in both files.
    expect(passwd).toContain("minecraft:x:997:997:Minecraft server:/srv/minecraft:/usr/sbin/nologin\n");
    expect((await readFile(join(root, "etc/group"), "utf8")).match(/^minecraft:x:997:$/gm)).toHaveLength(1);
    // shadow is root:shadow in the container; the boundary cannot keep that group, so it is not rewritten.
    expect(await readFile(join(root, "etc/shadow"), "utf8")).toBe("root:*:19700:0:99999:7:::\n");
    // Every file is the container's root's: written by it, never chowned by host root.
    for (const f of [ENABLE_DROP_IN, `etc/systemd/system/${GAME_UNIT}`, "etc/passwd", "etc/group", "srv/minecraft"]) {
      expect((await lstat(join(root, f))).uid).toBe(TEST_IDENTITY?.uid ?? process.getuid!());
    }
  });

  it("keeps the id a half-done earlier run gave the group", async () => {
    const root = await rootfs();
    await writeFile(join(root, "etc/group"), "root:x:0:\nminecraft:x:555:\n");
    await install(root);
    expect(await readFile(join(root, "etc/passwd"), "utf8")).toContain("minecraft:x:555:555:");
  });

  it("refuses a template without systemd, or whose init is not systemd's link, with a sentence that says why", async () => {
    for (const init of ["none", "sysvinit"] as const) {
      const root = await rootfs(init);
      await expect(atGuest(root, requireSystemd)).rejects.toThrow(/no systemd as init .* nothing would start it; use a template with systemd/);
      await expect(install(root)).rejects.toThrow(/no systemd/);
      expect(await lstat(join(root, "etc/systemd")).catch(() => null)).toBeNull();
    }
  });

  it("never writes through a link the rootfs holds (it would land on the host)", async () => {
    const root = await rootfs();
    const outside = join(root, "..", `outside-${Date.now()}`);
    await writeFile(outside, "host file\n");
    dirs.push(outside);
    await rm(join(root, "etc/passwd"));
    await symlink(outside, join(root, "etc/passwd"));
    await expect(install(root)).rejects.toThrow(/not a regular file/);
    expect(await readFile(outside, "utf8")).toBe("host file\n");
    // Nor through a linked directory: etc/systemd/system made a link to a host directory.
    const root2 = await rootfs();
    const hostDir = join(root2, "..", `outside-dir-${Date.now()}`);
    await mkdir(hostDir);
    dirs.push(hostDir);
    await mkdir(join(root2, "etc/systemd"), { recursive: true });
    await symlink(hostDir, join(root2, "etc/systemd/system"));
    await giveToGuest(join(root2, "etc/systemd"));
    await expect(install(root2)).rejects.toThrow(/etc\/systemd\/system is a symlink/);
    expect(await readdir(hostDir)).toEqual([]);
  });
});
