import { PackRefusedError, packContents, parseNeoforgeVersion, type PackContents } from "@zlh/artifacts";
import { readModpackContents, storeModpackContents, type Db } from "@zlh/db";
import { ModpackInvalidError, ModpackLoaderUnsupportedError } from "@zlh/domain";
import { PACK_LOADER_SUPPORT, provisionableLoaders } from "./loaders";
import { platformPathClash } from "./platformPaths";

/** Reads under way in this process, per database and sha512: a second caller waits for the first's. */
const reading = new WeakMap<Db, Map<string, Promise<PackContents>>>();

/**
 * What the pack with this sha512 places: read from modpack_contents when it
 * was read before, else from its bytes (`bytes()`, fetched only then), off
 * the event loop (packContents), and stored, so no pack is inflated and
 * hashed twice. Concurrent calls for one pack in this process share one
 * read (the second waits for the first, its own `bytes` unused); across
 * processes the row's insert-on-conflict keeps the first writer's, which is
 * the same. A pack that does not read is a 422 with the reason.
 * `{ store: false }` (an upload): what was read is only answered, for the
 * caller to store once the pack itself is accepted (storeModpackUpload),
 * so an upload refused after it was read leaves nothing behind.
 */
export function contentsOf(db: Db, sha512: string, bytes: () => Promise<Uint8Array>, opts: { store: boolean } = { store: true }): Promise<PackContents> {
  let inFlight = reading.get(db);
  if (!inFlight) reading.set(db, (inFlight = new Map()));
  // A read that stores and one that does not are not shared: a caller that needs the row stored never waits on one that skips it.
  const key = `${opts.store ? "store" : "read"}:${sha512}`;
  const running = inFlight.get(key);
  if (running) return running;
  const read = (async () => {
    const stored = await readModpackContents(db, sha512);
    if (stored) return stored as PackContents;
    const contents = await readContents(await bytes());
    if (opts.store) await storeModpackContents(db, sha512, contents);
    return contents;
  })().finally(() => inFlight.delete(key));
  inFlight.set(key, read);
  return read;
}

/** A pack's bytes read to the format (packContents), its refusals as 422 modpack_invalid. */
export async function readContents(bytes: Uint8Array): Promise<PackContents> {
  try {
    return await packContents(bytes);
  } catch (err) {
    if (err instanceof PackRefusedError) throw new ModpackInvalidError(err.message);
    throw err;
  }
}

/**
 * A read pack, refused (4xx) unless its loader is one this platform
 * provisions, and, for NeoForge, unless its NeoForge version is one built
 * for the pack's game (a NeoForge version names its game: 21.1.77 is for
 * 1.21.1), which no resolution could install, and unless it leaves the
 * type's launcher and libraries to the platform (platformPathClash): a
 * pack's file on one of those paths could never resolve either.
 */
export function checkedContents<T extends Pick<PackContents, "loader" | "game" | "downloads" | "overrides">>(pack: T): T {
  const support = PACK_LOADER_SUPPORT[pack.loader.name];
  if (typeof support !== "string") {
    throw new ModpackLoaderUnsupportedError(`The pack needs ${pack.loader.name} ${pack.loader.version}: ${support.refused}; packs for ${provisionableLoaders().join(", ")} can be provisioned.`);
  }
  if (support === "neoforge") {
    const built = parseNeoforgeVersion(pack.loader.version)?.game;
    if (built === undefined) throw new ModpackInvalidError(`The pack's dependencies.neoforge ${JSON.stringify(pack.loader.version)} is not a NeoForge version (such as 21.1.77 for Minecraft 1.21.1).`);
    if (built !== pack.game) throw new ModpackInvalidError(`The pack needs NeoForge ${pack.loader.version}, which is built for Minecraft ${built}, with Minecraft ${pack.game}; no server can run both.`);
  }
  const clash = platformPathClash(support, [...pack.downloads.map((d) => d.path), ...pack.overrides.map((o) => o.path)]);
  if (clash) throw new ModpackInvalidError(`The pack places ${JSON.stringify(clash.path)}, ${clash.why} on a ${support} server (the pinned loader's launcher and libraries); remove it from the pack.`);
  return pack;
}
