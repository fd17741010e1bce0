import { access, readFile } from "node:fs/promises";
import { join, posix, resolve } from "node:path";
import { openExecutableJar } from "../jvmJar";
import { decodeClassPathEntry, parseJavaManifest } from "../javaManifest";
import { parseJavaProperties } from "../javaProperties";
import { zipEntry } from "../zip";
import { QUILT_LAUNCHER_JAR, QUILT_LAUNCHER_PROPERTIES, QUILT_SERVER_JAR } from "./layout";

/** Quilt's launcher never downloads (its installer does), so every refusal is outright: `needsNetwork` is always false. */
export type QuiltLaunchDecision =
  | { launches: true; jar: string; mainClass: string; serverJar: string; loader: string | null }
  | { launches: false; needsNetwork: false; reason: string };

/**
 * What `java -jar quilt-server-launch.jar nogui` decides in `dir` before the
 * game runs, step by step:
 *  1. the JVM's checks of an executable jar, in its words (openExecutableJar);
 *  2. the JVM loads Main-Class from the jar or its Class-Path (entries
 *     relative to the jar's folder; a missing entry is skipped silently), or
 *     stops: `Error: Could not find or load main class <class>`;
 *  3. Quilt Loader's QuiltServerLauncher.setup: `serverJar` of
 *     `quilt-server-launcher.properties` (`server.jar` when absent) must
 *     exist, or it stops with "The Minecraft server .JAR is missing (<path>)!"
 *     (a path outside the server directory counts as missing here: this reads
 *     a customer's directory and never follows it out);
 *  4. then Knot loads the game with every library of the Class-Path: one the
 *     JVM skipped ends in a NoClassDefFoundError when first needed, so a
 *     missing entry is refused, naming it.
 * Nothing here downloads: Quilt's launcher expects a complete install. The
 * simulated server (apps/agent/src/sim/mcServer.pl) makes the same decision
 * with the same words; tests hold both to placed directories.
 */
export async function quiltLaunchDecision(dir: string, jar = QUILT_LAUNCHER_JAR): Promise<QuiltLaunchDecision> {
  const opened = await openExecutableJar(dir, jar);
  if ("launches" in opened) return refuse("reason" in opened ? opened.reason : `${jar} could not be opened`);
  const mf = zipEntry(opened.bytes, "META-INF/MANIFEST.MF");
  const classPath = (parseJavaManifest(mf ? new TextDecoder().decode(mf) : "").get("Class-Path") ?? "").split(/\s+/).filter(Boolean);
  const entries = classPath.map((e) => ({ entry: e, path: inside(decodeClassPathEntry(e)) }));

  const classFile = `${opened.mainClass.replaceAll(".", "/")}.class`;
  let found = zipHas(opened.bytes, classFile);
  for (const e of entries) {
    if (found) break;
    const bytes = e.path === null ? null : await readFile(join(dir, e.path)).catch(() => null);
    found = bytes !== null && zipHas(bytes, classFile);
  }
  if (!found) return refuse(`Error: Could not find or load main class ${opened.mainClass}\nCaused by: java.lang.ClassNotFoundException: ${opened.mainClass}`);

  const props = await readFile(join(dir, QUILT_LAUNCHER_PROPERTIES), "utf8").catch(() => null);
  const serverJar = (props === null ? undefined : parseJavaProperties(props).get("serverJar")) ?? QUILT_SERVER_JAR;
  const serverPath = inside(serverJar);
  if (serverPath === null || !(await exists(join(dir, serverPath)))) {
    return refuse(`The Minecraft server .JAR is missing (${resolve(dir, serverJar)})!\nWithout the official Minecraft server .JAR, Quilt Loader cannot launch.`);
  }
  for (const e of entries) {
    if (e.path === null || !(await exists(join(dir, e.path)))) {
      return refuse(`Class-Path entry ${e.entry} of ${jar} is missing: Quilt Loader would stop with a NoClassDefFoundError when it needs it`);
    }
  }
  const loader = classPath.map((e) => /^libraries\/org\/quiltmc\/quilt-loader\/([^/]+)\//.exec(e)?.[1]).find(Boolean) ?? null;
  return { launches: true, jar, mainClass: opened.mainClass, serverJar: serverPath, loader };
}

/** A path relative to the server directory that stays inside it, normalised; null for anything else. */
function inside(p: string): string | null {
  if (p.startsWith("/")) return null;
  const n = posix.normalize(p);
  return n === ".." || n.startsWith("../") ? null : n;
}

function zipHas(bytes: Uint8Array, name: string): boolean {
  try {
    return zipEntry(bytes, name) !== null;
  } catch {
    return false;
  }
}

const refuse = (reason: string): QuiltLaunchDecision => ({ launches: false, needsNetwork: false, reason });
const exists = (p: string) => access(p).then(() => true, () => false);
