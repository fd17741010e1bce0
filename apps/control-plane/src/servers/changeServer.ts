import stringify from "safe-stable-stringify";
import type { ChangeServerBody } from "@zlh/api";
import type { ArtifactSource } from "@zlh/artifacts";
import { addJob, findChangeByKey, getServer, lockIdempotencyKey, lockServer, recordChange, setActor, type Db, type ServerRow, type ServerSettings } from "@zlh/db";
import {
  CapacityExhaustedError,
  ChangeInProgressError,
  compareGameVersions,
  DiskShrinkRefusedError,
  DowngradeRefusedError,
  IdempotencyKeyReusedError,
  InvalidRequestError,
  InvalidTransitionError,
  isChangeable,
  isChangeInFlight,
  ServerNotFoundError,
  typeLoaderIsPerGame,
} from "@zlh/domain";
import { retryOnDeadlock } from "../db/retryOnDeadlock";
import { changeJobKey, RESOLVE_CHANGE_JOB } from "../jobs/jobNames";
import { converge } from "../lifecycle/converge";
import { assertServerId } from "./loadServer";
import { checkPinnedBuild } from "../serverTypes/pinnedBuild";
import { claimNewNeoforgeBuild } from "../neoforge/newBuildLimit";
import { checkTypeSettings } from "../serverTypes/typeSettings";
import { editMods } from "./modsEdit";
import { holdUploadedPack } from "../modpacks/holdUploadedPack";
import { packSettings, type PackSettings } from "../modpacks/packSettings";
import { requestHash } from "./requestHash";

/**
 * One change request -> one new generation, whatever the retries: in one
 * transaction, serialise on (client, Idempotency-Key) and replay an earlier
 * one; check the change (no disk shrink, no game downgrade without `force`,
 * nothing else in progress); record it with the capacity it needs
 * (recordChange: 409 capacity_exhausted writes nothing); then either queue
 * the resolution of its new manifest or plan its application at once (a
 * change of properties or resources only re-places the applied manifest).
 */
export async function changeServer(
  deps: { db: Db; source?: ArtifactSource; config: { modpackMaxBytes: number; neoforgeNewBuildsPerDay: number } },
  id: string,
  client: string,
  key: string,
  body: ChangeServerBody,
): Promise<{ server: ServerRow; replayed: boolean }> {
  assertServerId(id);
  const hash = requestHash({ serverId: id, ...body });
  // A pack is read and checked before the transaction: a bad one is a 4xx and nothing is written.
  if (body.modpack && !deps.source) throw new InvalidRequestError("This control plane cannot read modpacks (no artifact source).");
  let pack: PackSettings | null = null;
  if (body.modpack && deps.source) {
    // A retry gets its stored answer before the pack is read again (reading it could now fail: a 503 for a change that was made).
    const earlier = await findChangeByKey(deps.db, client, key);
    if (earlier) {
      if (earlier.request_hash !== hash) throw new IdempotencyKeyReusedError();
      return { server: (await getServer(deps.db, earlier.server_id))!, replayed: true };
    }
    const current = await getServer(deps.db, id);
    if (!current) throw new ServerNotFoundError(id);
    // An uploaded pack must be one the server's own customer uploaded.
    pack = await packSettings({ db: deps.db, source: deps.source, maxBytes: deps.config?.modpackMaxBytes ?? 0, customerId: current.customer_id }, body.modpack, body);
  }
  if (typeof body.loaderVersion === "string" && !pack && deps.source) await checkBuildAsked(deps.db, deps.source, { id, client, key }, body);
  return retryOnDeadlock(() =>
    deps.db.transaction(async (tx) => {
      await lockIdempotencyKey(tx, client, `change:${key}`);
      const earlier = await findChangeByKey(tx, client, key);
      if (earlier) {
        if (earlier.request_hash !== hash) throw new IdempotencyKeyReusedError();
        return { server: (await getServer(tx, earlier.server_id))!, replayed: true };
      }
      const s = await lockServer(tx, id);
      if (!s) throw new ServerNotFoundError(id);
      if (s.desired_state === "deleted" || !isChangeable(s.status) || s.manifest === null) {
        throw new InvalidTransitionError(`The server is ${s.status}; it can be changed once it has been provisioned, and until it is deleted.`);
      }
      if (isChangeInFlight(s.change_status)) throw new ChangeInProgressError();
      if (pack?.modpack.source === "upload") await holdUploadedPack(tx, pack.modpack.sha512, s.customer_id);

      const from: ServerSettings = settingsOf(s);
      if (s.modpack && !pack && (body.mods !== undefined || body.loaderVersion !== undefined || body.minecraftVersion !== undefined || body.type !== undefined)) {
        throw new InvalidRequestError("The server runs a modpack: its type, game, loader and mods are the pack's; change to another pack version with modpack.");
      }
      const type = pack?.type ?? body.type ?? from.type;
      const to: ServerSettings = {
        type,
        minecraftVersion: pack?.minecraftVersion ?? body.minecraftVersion ?? from.minecraftVersion,
        loaderVersion: pack ? pack.loaderVersion : body.loaderVersion !== undefined ? body.loaderVersion : keptLoader(from, type, body.minecraftVersion),
        mods: pack ? [] : body.mods === undefined ? from.mods : editMods(s.mods, body.mods),
        modpack: pack ? pack.modpack : from.modpack,
        serverProperties: body.serverProperties ?? from.serverProperties,
        memoryMiB: body.memoryMiB ?? from.memoryMiB,
        cpuCores: body.cpuCores ?? from.cpuCores,
        diskGiB: body.diskGiB ?? from.diskGiB,
      };
      checkTypeSettings({ type: to.type, loaderVersion: to.loaderVersion, mods: to.mods as unknown[] });
      if (to.diskGiB < from.diskGiB) throw new DiskShrinkRefusedError(from.diskGiB, to.diskGiB);
      if (to.minecraftVersion !== from.minecraftVersion && !body.force) {
        const order = compareGameVersions(to.minecraftVersion, from.minecraftVersion);
        if (order === null || order < 0) throw new DowngradeRefusedError(from.minecraftVersion, to.minecraftVersion);
      }
      const changes = diff(from, to);
      if (Object.keys(changes).length === 0) return { server: s, replayed: false };
      // A NeoForge build not installed yet costs an installer run: counted against the customer's day (429, nothing written).
      if ("type" in changes || "minecraftVersion" in changes || "loaderVersion" in changes || "modpack" in changes) {
        await claimNewNeoforgeBuild(tx, { customerId: s.customer_id, ...to }, deps.config.neoforgeNewBuildsPerDay);
      }

      await setActor(tx, client);
      const needsManifest = "type" in changes || "minecraftVersion" in changes || "loaderVersion" in changes || "mods" in changes || "modpack" in changes;
      const changed = await recordChange(tx, { serverId: id, callerId: client, idempotencyKey: key, requestHash: hash, to, needsManifest, changes });
      if (!changed) throw new CapacityExhaustedError("host");
      if (needsManifest) {
        await addJob(tx, RESOLVE_CHANGE_JOB, { serverId: id, generation: changed.generation }, { jobKey: changeJobKey(id), maxAttempts: 10 });
      } else {
        await converge(tx, id);
      }
      return { server: (await getServer(tx, id)) ?? changed, replayed: false };
    }),
  );
}

/**
 * The loader version a change that names none keeps: a loader version is one
 * loader's, so another type starts from its default; a Paper or Purpur build
 * is one game's (builds are numbered per game), so another game starts from
 * its newest build.
 */
function keptLoader(from: ServerSettings, type: ServerSettings["type"], game: string | undefined): string | null {
  if (type !== from.type) return null;
  if (typeLoaderIsPerGame(type) && game !== undefined && game !== from.minecraftVersion) return null;
  return from.loaderVersion;
}

/**
 * A build the change pins (`loaderVersion` on a Paper or Purpur server, or
 * on the type it changes to) is asked of its upstream before the
 * transaction, for the game the server will run: an unknown one is 422
 * unknown_build and nothing is written (a retry of a change already made is
 * not asked again: it replays). The server is read here only to
 * know its type and game; the transaction reads it again under its lock.
 */
async function checkBuildAsked(db: Db, source: ArtifactSource, asked: { id: string; client: string; key: string }, body: ChangeServerBody): Promise<void> {
  if (await findChangeByKey(db, asked.client, asked.key)) return; // a replay answers as the first request did
  const current = await getServer(db, asked.id);
  // What the transaction refuses on the server alone (404, 409 not changeable or a change in flight, a
  // modpack's settings) it answers the same whatever build is named, so the upstream is not asked.
  if (!current || current.desired_state === "deleted" || !isChangeable(current.status) || current.manifest === null) return;
  if (isChangeInFlight(current.change_status) || current.modpack) return;
  const type = body.type ?? current.server_type;
  const loaderVersion = body.loaderVersion ?? null;
  // The pin it has, for the game it runs: nothing new to ask.
  if (type === current.server_type && loaderVersion === current.loader_version && (body.minecraftVersion ?? current.minecraft_version) === current.minecraft_version) return;
  checkTypeSettings({ type, loaderVersion, mods: [] });
  await checkPinnedBuild(source, { type, minecraftVersion: body.minecraftVersion ?? current.minecraft_version, loaderVersion });
}

function settingsOf(s: ServerRow): ServerSettings {
  return {
    type: s.server_type,
    minecraftVersion: s.minecraft_version,
    loaderVersion: s.loader_version,
    mods: s.mods,
    modpack: s.modpack,
    serverProperties: s.server_properties,
    memoryMiB: s.memory_mib,
    cpuCores: s.cpu_cores,
    diskGiB: s.disk_gib,
  };
}

/** What a change changes, as `{ field: { from, to } }` (the settings' names are the API's), for its event. */
function diff(from: ServerSettings, to: ServerSettings): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const k of Object.keys(from) as (keyof ServerSettings)[]) {
    if (stringify(from[k]) !== stringify(to[k])) out[k] = { from: from[k], to: to[k] };
  }
  return out;
}
