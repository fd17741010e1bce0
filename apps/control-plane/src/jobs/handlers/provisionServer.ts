import type { Task } from "graphile-worker";
import type { Logger } from "pino";
import { ArtifactFetchError, manifestHash, type ArtifactSource, type Manifest, type ManifestModpack } from "@zlh/artifacts";
import { getServer, setLastError, storeManifest, transitionServer, type Db, type ServerRow } from "@zlh/db";
import { ResolutionError } from "../../fabric/errors";
import type { ManifestCache } from "../../fabric/manifestCache";
import { resolveManifest, type ResolveSettings } from "../../fabric/resolveManifest";
import { converge } from "../../lifecycle/converge";
import { newRconPassword, seal, type SecretsKeyring } from "../../secrets/sealedSecrets";

export interface ProvisionDeps {
  db: Db;
  source: ArtifactSource;
  secretsKeys: SecretsKeyring;
  log: Logger;
  /** Optional: reuse manifests resolved moments ago for the same request. */
  cache?: ManifestCache;
  /** The configuration's part in resolving (ZLH_NEOFORGE_JAVA, ZLH_NEOFORGE_INSTALLER_MEMORY_BYTES); defaults when not given. */
  settings?: ResolveSettings;
}

/**
 * `server.provision`: resolves the server's manifest (once: a stored one is
 * reused), then converges, which queues the provision operation. Safe to run
 * any number of times, concurrently too: the manifest is stored only where
 * none is, and the unique index on operations (server, generation, kind)
 * admits one provision. (graphile-worker's job_key alone does not guarantee a
 * single run: a job replaced while locked is inserted anew.)
 *
 * A request that cannot resolve fails the server at once with the reason;
 * other errors are retried with graphile-worker's backoff, and the last
 * attempt's error fails the server.
 */
export function provisionServerTask(deps: ProvisionDeps): Task {
  return async (payload, helpers) => {
    const { serverId } = payload as { serverId: string };
    const s = await getServer(deps.db, serverId);
    if (!s) return;
    let manifest: Manifest | null = null;
    if (s.manifest === null && s.status === "pending" && s.desired_state !== "deleted") {
      try {
        manifest = await resolve(deps, s);
      } catch (err) {
        const final = err instanceof ResolutionError || helpers.job.attempts >= helpers.job.max_attempts;
        const url = err instanceof ArtifactFetchError ? err.url : null;
        deps.log.warn({ serverId, err: (err as Error).message, url, attempt: helpers.job.attempts, final }, "manifest resolution failed");
        if (!final) {
          // On the server, so a panel sees why it stays pending (and which URL), not only the log.
          await setLastError(deps.db, serverId, { code: url ? "artifact_fetch_failed" : "manifest_resolution_failed", message: (err as Error).message, url });
          throw err;
        }
        await transitionServer(deps.db, serverId, "failed", { failureReason: `manifest_unresolvable: ${(err as Error).message}` });
        return;
      }
    }
    // Storing the manifest and planning the provision commit together: one commit less on the dispatch path.
    await deps.db.transaction(async (tx) => {
      if (manifest) {
        const hash = manifestHash(manifest);
        if (await storeManifest(tx, serverId, manifest, hash, seal(deps.secretsKeys, newRconPassword()))) {
          deps.log.info({ serverId, manifestHash: hash, files: manifest.files.length }, "manifest resolved");
        }
        await setLastError(tx, serverId, null);
      }
      await converge(tx, serverId);
    });
  };
}

async function resolve(deps: ProvisionDeps, s: ServerRow): Promise<Manifest> {
  const request = { type: s.server_type, minecraftVersion: s.minecraft_version, loaderVersion: s.loader_version, mods: s.mods, modpack: s.modpack as ManifestModpack | null };
  const fresh = () => resolveManifest(deps.db, deps.source, request, deps.settings);
  return deps.cache ? deps.cache.resolve(request, fresh) : fresh();
}
