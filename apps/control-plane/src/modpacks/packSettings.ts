import type { ModpackRef } from "@zlh/api";
import type { ManifestModpack } from "@zlh/artifacts";
import { InvalidRequestError, ModpackInvalidError, ModpackLoaderUnsupportedError, type ServerType } from "@zlh/domain";
import { inspectModpack, type ModpackDeps } from "./inspectModpack";
import { packLoaderType } from "./loaders";

export interface PackSettings {
  /** The server type that runs the pack's loader (PACK_LOADER_SUPPORT): fabric, quilt or neoforge. */
  type: ServerType;
  minecraftVersion: string;
  loaderVersion: string;
  modpack: ManifestModpack;
}

/**
 * The settings a modpack gives a server (create or change): its game and
 * loader versions, which a request may repeat but not contradict, and the
 * pinned pack. The pack's files are its mods, so `mods` cannot come with it.
 */
export async function packSettings(
  deps: ModpackDeps,
  ref: ModpackRef,
  asked: { type?: ServerType; minecraftVersion?: string; loaderVersion?: string | null; mods?: unknown },
): Promise<PackSettings> {
  if (asked.mods !== undefined) throw new InvalidRequestError("mods cannot be given with a modpack: a modpack server's mods are the pack's files.");
  const { pin, pack } = await inspectModpack(deps, ref);
  if (asked.minecraftVersion !== undefined && asked.minecraftVersion !== pack.game) {
    throw new ModpackInvalidError(`The pack is for Minecraft ${pack.game}; the request asks for ${asked.minecraftVersion}. Leave minecraftVersion out to take the pack's.`);
  }
  if (asked.loaderVersion != null && asked.loaderVersion !== pack.loader.version) {
    throw new ModpackInvalidError(`The pack needs ${pack.loader.name} ${pack.loader.version}; the request asks for loader ${asked.loaderVersion}. Leave loaderVersion out to take the pack's.`);
  }
  const type = packLoaderType(pack.loader.name);
  if (!type) throw new ModpackLoaderUnsupportedError(`The pack needs ${pack.loader.name}, which this platform does not provision yet.`);
  if (asked.type !== undefined && asked.type !== type) {
    throw new ModpackInvalidError(`The pack's loader (${pack.loader.name}) runs on the ${type} type; the request asks for ${asked.type}. Leave type out to take the pack's.`);
  }
  return { type, minecraftVersion: pack.game, loaderVersion: pack.loader.version, modpack: pin };
}
