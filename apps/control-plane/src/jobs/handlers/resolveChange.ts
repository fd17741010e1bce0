import type { Task } from "graphile-worker";
import { manifestHash, type ManifestModpack } from "@zlh/artifacts";
import { endChange, getServer, storeRequestedManifest } from "@zlh/db";
import { ResolutionError } from "../../fabric/errors";
import { resolveManifest } from "../../fabric/resolveManifest";
import { converge } from "../../lifecycle/converge";
import type { ProvisionDeps } from "./provisionServer";

/**
 * `server.resolve_change`: resolves the manifest a change asks for (its
 * game, loader and mods) and stores it as the requested manifest, then
 * converges, which plans the provision that applies it. The server keeps
 * running what it has meanwhile. A request that can never resolve ends the
 * change `failed` with the reason and its settings restored; nothing on the
 * host was touched. Only the current change is acted on.
 */
export function resolveChangeTask(deps: ProvisionDeps): Task {
  return async (payload, helpers) => {
    const { serverId, generation } = payload as { serverId: string; generation: number };
    const s = await getServer(deps.db, serverId);
    if (!s || s.change_generation !== generation || s.change_status !== "resolving") return;
    try {
      const manifest = await resolveManifest(deps.db, deps.source, {
        type: s.server_type,
        minecraftVersion: s.minecraft_version,
        loaderVersion: s.loader_version,
        mods: s.mods,
        modpack: s.modpack as ManifestModpack | null,
      }, deps.settings);
      await deps.db.transaction(async (tx) => {
        if (await storeRequestedManifest(tx, serverId, generation, manifest, manifestHash(manifest))) {
          deps.log.info({ serverId, generation, files: manifest.files.length }, "change resolved");
        }
        await converge(tx, serverId);
      });
    } catch (err) {
      const final = err instanceof ResolutionError || helpers.job.attempts >= helpers.job.max_attempts;
      deps.log.warn({ serverId, generation, err: (err as Error).message, final }, "change resolution failed");
      if (!final) throw err;
      await deps.db.transaction(async (tx) => {
        await endChange(tx, serverId, generation, "failed", `manifest_unresolvable: ${(err as Error).message}`);
        await converge(tx, serverId);
      });
    }
  };
}
