import { FABRIC_DATA_DIR, FABRIC_LAUNCHER_JAR, QUILT_LAUNCHER_JAR, QUILT_SERVER_JAR } from "@zlh/artifacts";
import type { ServerType } from "@zlh/domain";

/** Where every type that runs a pack keeps the libraries its launcher or args files name. */
const LIBRARIES = "libraries";

/**
 * What the platform places for a type that runs packs (PACK_LOADER_SUPPORT),
 * whatever the pinned versions: files at these paths, and anything inside
 * these folders (the loader's launcher, Mojang's jar, the libraries):
 *  - fabric: fabric-server-launch.jar, `.fabric/server/` (the vanilla and
 *    launch jars), `libraries/` (packages/artifacts/src/fabric/layout.ts);
 *  - quilt: quilt-server-launch.jar, server.jar, `libraries/` (quilt/layout.ts);
 *  - neoforge: what its installer leaves, `run.sh`, `run.bat`,
 *    `user_jvm_args.txt` (read by the launch: `java @user_jvm_args.txt ...`)
 *    and `libraries/`.
 */
const PLATFORM_PATHS: Partial<Record<ServerType, { files: readonly string[]; folders: readonly string[] }>> = {
  fabric: { files: [FABRIC_LAUNCHER_JAR], folders: [FABRIC_DATA_DIR, LIBRARIES] },
  quilt: { files: [QUILT_LAUNCHER_JAR, QUILT_SERVER_JAR], folders: [LIBRARIES] },
  neoforge: { files: ["run.sh", "run.bat", "user_jvm_args.txt"], folders: [LIBRARIES] },
};

/**
 * The first of a pack's `paths` that is the platform's on a `type` server,
 * and why (to follow "The pack places <path>, "), or null. Such a pack could
 * never resolve (two files on one path, or a file where the platform needs a
 * folder), so it is refused when it is read, not when a server is resolved
 * from it.
 */
export function platformPathClash(type: ServerType, paths: Iterable<string>): { path: string; why: string } | null {
  const own = PLATFORM_PATHS[type];
  if (!own) return null;
  for (const path of paths) {
    if (own.files.includes(path)) return { path, why: "which the platform places itself" };
    const inside = own.folders.find((d) => path.startsWith(`${d}/`));
    if (inside) return { path, why: `inside ${inside}/, which the platform fills itself` };
    const above = own.folders.find((d) => d === path || d.startsWith(`${path}/`));
    if (above) return { path, why: `a file where the platform needs the folder ${above}/` };
  }
  return null;
}
