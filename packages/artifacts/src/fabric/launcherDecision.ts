import { access, readFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { decodeClassPathEntry, parseJavaManifest } from "../javaManifest";
import { parseJavaProperties } from "../javaProperties";
import { zipEntry } from "../zip";
import { compareFabricVersions, FABRIC_DATA_DIR, FABRIC_LAUNCHER_JAR, fabricLaunchJarPath, MIN_UNATTENDED_LOADER, UNATTENDED_LOADER_REFUSAL, vanillaServerJarPath } from "./layout";

export type LaunchDecision =
  | { launches: true; loader: string; game: string; mainClass: string; launchJar: string; serverJar: string }
  /** `needsNetwork`: the launcher would download or reinstall (and fails without network); otherwise it refuses outright. */
  | { launches: false; needsNetwork: boolean; reason: string };

/**
 * What `java -jar fabric-server-launch.jar nogui` decides in `dir` before it
 * starts the game, step by step as FabricMC/fabric-installer's
 * ServerLauncher.initialise does it: read `install.properties` from the
 * launcher jar, refuse loaders below 0.12, download the vanilla jar if
 * `.fabric/server/<game>-server.jar` is missing, and reinstall (query meta,
 * download every library) unless the launch jar exists, has a Main-Class and
 * every Class-Path entry exists. Only `launches: true` is a first boot with
 * no network. The simulated server (apps/agent/src/sim/mcServer.pl) makes the
 * same decision; tests hold both to placed directories.
 */
export async function fabricLaunchDecision(dir: string): Promise<LaunchDecision> {
  const launcher = await readFile(join(dir, FABRIC_LAUNCHER_JAR)).catch(() => null);
  if (!launcher) return refuse(`Error: Unable to access jarfile ${FABRIC_LAUNCHER_JAR}`);
  let props: Uint8Array | null;
  try {
    props = zipEntry(launcher, "install.properties");
  } catch (err) {
    return refuse(`Error: Invalid or corrupt jarfile ${FABRIC_LAUNCHER_JAR} (${(err as Error).message})`);
  }
  if (!props) return refuse("Jar does not contain unattended install.properties file");
  const properties = parseJavaProperties(new TextDecoder().decode(props));
  const loader = properties.get("fabric-loader-version");
  const game = properties.get("game-version");
  if (!loader) return refuse("no loader-version specified in install.properties");
  if (!game) return refuse("no game-version specified in install.properties");
  if (compareFabricVersions(loader, MIN_UNATTENDED_LOADER) < 0) return refuse(UNATTENDED_LOADER_REFUSAL);

  const serverJar = vanillaServerJarPath(game);
  if (!(await exists(join(dir, serverJar)))) return network(`${serverJar} is missing: the launcher would download the Minecraft server`);
  const launchJar = fabricLaunchJarPath(loader, game);
  const launchBytes = await readFile(join(dir, launchJar)).catch(() => null);
  if (!launchBytes) return network(`${launchJar} is missing: the launcher would install Fabric from the network`);
  let attributes: Map<string, string>;
  try {
    const mf = zipEntry(launchBytes, "META-INF/MANIFEST.MF");
    attributes = parseJavaManifest(mf ? new TextDecoder().decode(mf) : "");
  } catch (err) {
    return network(`Failed to analyze or verify existing install: ${(err as Error).message}`);
  }
  const mainClass = attributes.get("Main-Class");
  if (!mainClass) return network("Failed to analyze or verify existing install: Jar does not have a Main-Class attribute");
  for (const entry of (attributes.get("Class-Path") ?? "").split(/\s+/).filter(Boolean)) {
    const target = posix.normalize(posix.join(FABRIC_DATA_DIR, decodeClassPathEntry(entry)));
    if (target.startsWith("../") || !(await exists(join(dir, target)))) {
      return network(`Detected incomplete install, reinstalling (${target} is missing)`);
    }
  }
  return { launches: true, loader, game, mainClass, launchJar, serverJar };
}

const refuse = (reason: string): LaunchDecision => ({ launches: false, needsNetwork: false, reason });
const network = (reason: string): LaunchDecision => ({ launches: false, needsNetwork: true, reason });
const exists = (p: string) => access(p).then(() => true, () => false);
