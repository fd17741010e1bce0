import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJavaManifest } from "../javaManifest";
import { zipEntry } from "../zip";

/** Where a vanilla server's jar is placed, and the jar its unit starts (`java -jar server.jar nogui`). */
export const VANILLA_SERVER_JAR = "server.jar";

export type VanillaLaunchDecision = { launches: true; jar: string; mainClass: string } | { launches: false; needsNetwork: false; reason: string };

/**
 * What `java -jar server.jar nogui` decides in `dir` before the game runs:
 * the JVM's own checks of an executable jar, with its wording (the jar
 * cannot be read; it is not a zip; its manifest names no Main-Class). Past
 * them, Mojang's server jar needs nothing else: since 1.18 its Main-Class is
 * a bundler that unpacks the game and its libraries from inside itself into
 * versions/ and libraries/, and older ones hold the game outright. So a
 * placed jar (whose hash placement checked) is a first boot with no network,
 * and every refusal here is outright. The simulated server
 * (apps/agent/src/sim/mcServer.pl) and the stand-in java on real containers
 * (scripts/standinGame/gameTemplate.ts) make the same decision.
 */
export async function vanillaLaunchDecision(dir: string, jar = VANILLA_SERVER_JAR): Promise<VanillaLaunchDecision> {
  const bytes = await readFile(join(dir, jar)).catch(() => null);
  if (!bytes) return refuse(`Error: Unable to access jarfile ${jar}`);
  let attributes: Map<string, string>;
  try {
    const mf = zipEntry(bytes, "META-INF/MANIFEST.MF");
    attributes = parseJavaManifest(mf ? new TextDecoder().decode(mf) : "");
  } catch {
    return refuse(`Error: Invalid or corrupt jarfile ${jar}`);
  }
  const mainClass = attributes.get("Main-Class");
  if (!mainClass) return refuse(`no main manifest attribute, in ${jar}`);
  return { launches: true, jar, mainClass };
}

const refuse = (reason: string): VanillaLaunchDecision => ({ launches: false, needsNetwork: false, reason });
