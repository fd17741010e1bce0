import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** The `java` the control plane would run NeoForge's installer with (the first on PATH, as spawn finds it), or null. */
export function javaOnPath(path = process.env.PATH ?? ""): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const java = join(dir, "java");
    try {
      accessSync(java, constants.X_OK);
      return java;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * pnpm dev's line about NeoForge: the control plane runs NeoForge's installer
 * (the offline mirror's stand-in, a committed jar: no JDK needed) with the
 * `java` on PATH, so without one every NeoForge server fails its resolution
 * while every other type works; said once at start rather than found out
 * from a failed server.
 */
export function neoforgeDevLine(java = javaOnPath()): string {
  return java
    ? `NeoForge:   its installer runs with ${java}`
    : "NeoForge:   needs a Java runtime: no `java` on PATH, so NeoForge servers fail to resolve (every other type works; install openjdk-17-jre-headless or newer)";
}
