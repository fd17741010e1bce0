import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJavaManifest } from "./javaManifest";
import { zipEntry } from "./zip";

/** A launcher's decision: it starts the game with no network, or it does not (`needsNetwork`: it would download first). */
export type JarLaunchDecision =
  | { launches: true; jar: string; mainClass: string }
  | { launches: false; needsNetwork: boolean; reason: string };

/**
 * What `java -jar <jar>` checks before any of the jar's code runs, with the
 * JVM's wording (held word for word against the machine's java by
 * test/lxc/standinServer.test.ts): the jar can be read, is a zip, and its
 * manifest names a Main-Class. The jar's bytes and Main-Class, or the refusal.
 */
export async function openExecutableJar(dir: string, jar: string): Promise<{ bytes: Uint8Array; mainClass: string } | JarLaunchDecision> {
  const bytes = await readFile(join(dir, jar)).catch(() => null);
  if (!bytes) return refuseJar(`Error: Unable to access jarfile ${jar}`);
  let attributes: Map<string, string>;
  try {
    const mf = zipEntry(bytes, "META-INF/MANIFEST.MF");
    attributes = parseJavaManifest(mf ? new TextDecoder().decode(mf) : "");
  } catch {
    return refuseJar(`Error: Invalid or corrupt jarfile ${jar}`);
  }
  const mainClass = attributes.get("Main-Class");
  if (!mainClass) return refuseJar(`no main manifest attribute, in ${jar}`);
  return { bytes, mainClass };
}

export const refuseJar = (reason: string): JarLaunchDecision => ({ launches: false, needsNetwork: false, reason });
