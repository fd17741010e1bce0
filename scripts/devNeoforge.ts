import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { MACHINE_JDK } from "./offlineMirror/machineJre";
import { standinInstallerJava } from "./standinGame/installerJava";

const executable = (p: string) => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The first executable `name` on PATH (as spawn finds it), or null. */
export function javaOnPath(path = process.env.PATH ?? "", name = "java"): string | null {
  for (const dir of path.split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return null;
}

/**
 * pnpm dev's ZLH_NEOFORGE_JAVA when the environment gives none: the offline
 * mirror's NeoForge builds are for Minecraft 1.21.1, whose Java is 21, and
 * its stand-in installer runs on any Java, so with the machine's JDK there
 * (17 on Debian 12) a stand-in Java 21 running it; without, none (`java`).
 */
export function devNeoforgeJava(env: Record<string, string | undefined> = process.env): Record<string, string> {
  if (env.ZLH_NEOFORGE_JAVA || !existsSync(join(MACHINE_JDK, "bin", "java"))) return {};
  return { ZLH_NEOFORGE_JAVA: standinInstallerJava(21) };
}

/**
 * pnpm dev's line about NeoForge: the control plane runs NeoForge's
 * installer with ZLH_NEOFORGE_JAVA (`setting`: a path, or a name on PATH),
 * so without one every NeoForge server stays pending while every other type
 * works; said once at start rather than found out from a pending server.
 */
export function neoforgeDevLine(setting: string, path = process.env.PATH ?? ""): string {
  const java = setting.includes("/") ? (executable(setting) ? setting : null) : javaOnPath(path, setting);
  return java
    ? `NeoForge:   its installer runs with ${java} (ZLH_NEOFORGE_JAVA=${setting})`
    : `NeoForge:   needs a Java runtime: no ${setting}${setting.includes("/") ? "" : " on PATH"} (ZLH_NEOFORGE_JAVA), so NeoForge servers stay pending (every other type works; install a Java 21 and point ZLH_NEOFORGE_JAVA at it: docs/server-types.md)`;
}
