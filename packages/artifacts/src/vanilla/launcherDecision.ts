import { openExecutableJar, type JarLaunchDecision } from "../jvmJar";

/** Where a vanilla server's jar is placed, and the jar its unit starts (`java -jar server.jar nogui`). */
export const VANILLA_SERVER_JAR = "server.jar";

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
export async function vanillaLaunchDecision(dir: string, jar = VANILLA_SERVER_JAR): Promise<JarLaunchDecision> {
  const opened = await openExecutableJar(dir, jar);
  return "launches" in opened ? opened : { launches: true, jar, mainClass: opened.mainClass };
}
