import { randomUUID } from "node:crypto";
import type { CreateServerBody } from "@zlh/api";
import {
  claimHost,
  findServerByIdempotencyKey,
  insertPlacedServer,
  lockIdempotencyKey,
  placementShortage,
  setActor,
  storeManifest,
  takeVmids,
  withContentionFallback,
  type Db,
  type PlacementPolicy,
  type ServerRow,
} from "@zlh/db";
import type { ArtifactSource } from "@zlh/artifacts";
import { CapacityExhaustedError, DEFAULT_SERVER_TYPE, IdempotencyKeyReusedError, InvalidRequestError, type IntRange, type ServerType } from "@zlh/domain";
import { retryOnDeadlock } from "../db/retryOnDeadlock";
import type { ManifestCache } from "../fabric/manifestCache";
import { converge } from "../lifecycle/converge";
import { holdUploadedPack } from "../modpacks/holdUploadedPack";
import { packSettings, type PackSettings } from "../modpacks/packSettings";
import { checkPinnedBuild } from "../serverTypes/pinnedBuild";
import { claimNewNeoforgeBuild } from "../neoforge/newBuildLimit";
import { checkTypeSettings } from "../serverTypes/typeSettings";
import { newRconPassword, seal, type SecretsKeyring } from "../secrets/sealedSecrets";
import { requestHash } from "./requestHash";

export interface CreateContext {
  db: Db;
  vmidRange: IntRange;
  portRange: IntRange;
  config: { placementPolicy: PlacementPolicy; leaseTtlMs: number; secretsKeys: SecretsKeyring; modpackMaxBytes: number; neoforgeNewBuildsPerDay: number };
  /** Where a modpack from Modrinth is read, and a pinned Paper/Purpur build looked up (both checked before anything is written). */
  source?: ArtifactSource;
  /** Manifests this process resolved recently (shared with its provision jobs): a hit lets the create plan the provision itself. */
  manifests?: ManifestCache;
}

export interface Created {
  server: ServerRow;
  /** True when an earlier request with the same key created it. */
  replayed: boolean;
}

/**
 * One request -> one server row -> one provision job, whatever the concurrency.
 *
 * In one transaction: serialise on (caller, key); return the earlier server if
 * the key was used (or refuse a different body); else take a VMID, a host's
 * capacity, two of its ports and (static network) an address, and insert the row, its event and its job. Any failure
 * rolls back all of it, so a 409 leaves nothing behind.
 *
 * When this process resolved the same request moments ago (the manifest
 * cache), the job would only store that manifest and plan the provision:
 * the create does both itself instead and enqueues no job, so the agent is
 * woken by the create's own commit, one job pickup and one commit sooner.
 * graphile-worker keeps what needs it: resolution and its retries.
 *
 * A modpack is read and checked first, outside the transaction (a bad pack
 * is a 4xx and nothing is written); its game and loader become the server's.
 * So is a pinned Paper or Purpur build (checkPinnedBuild: 422 unknown_build).
 * A pinned NeoForge build not installed yet counts against the customer's
 * daily bound (claimNewNeoforgeBuild: 429 rate_limited), in the transaction.
 */
export async function createServerOnce(
  ctx: CreateContext,
  /** The API client's name: idempotency keys are scoped to it, and it is the actor of the events. */
  callerId: string,
  idempotencyKey: string,
  body: CreateServerBody,
): Promise<Created> {
  if (!body.modpack) checkTypeSettings({ type: body.type ?? DEFAULT_SERVER_TYPE, loaderVersion: body.loaderVersion ?? null, mods: body.mods ?? [] });
  const hash = requestHash(body);
  // A retry gets its stored answer before the pack is read again: reading it could now fail (Modrinth down, the upload
  // removed), which would answer a retried create 503 or 404 for a server that exists.
  if (body.modpack) {
    const earlier = await findServerByIdempotencyKey(ctx.db, callerId, idempotencyKey);
    if (earlier) {
      if (earlier.request_hash !== hash) throw new IdempotencyKeyReusedError();
      return { server: earlier, replayed: true };
    }
  }
  const pack =
    body.modpack && ctx.source
      ? await packSettings({ db: ctx.db, source: ctx.source, maxBytes: ctx.config.modpackMaxBytes, customerId: body.customerId }, body.modpack, body)
      : null;
  if (body.modpack && !pack) throw new InvalidRequestError("This control plane cannot read modpacks (no artifact source).");
  const type = pack?.type ?? body.type ?? DEFAULT_SERVER_TYPE;
  const game = pack?.minecraftVersion ?? body.minecraftVersion;
  if (game === undefined) throw new InvalidRequestError("minecraftVersion is required (unless the server is created from a modpack).");
  // A pinned Paper/Purpur build is asked of its upstream before the transaction: an unknown one is a 422 and nothing is written.
  // A retry of a create already made is not asked again: it replays.
  if (!pack && ctx.source && body.loaderVersion && !(await findServerByIdempotencyKey(ctx.db, callerId, idempotencyKey))) {
    await checkPinnedBuild(ctx.source, { type, minecraftVersion: game, loaderVersion: body.loaderVersion });
  }
  return retryOnDeadlock(() =>
    ctx.db.transaction(async (tx) => {
      await lockIdempotencyKey(tx, callerId, idempotencyKey);
      const existing = await findServerByIdempotencyKey(tx, callerId, idempotencyKey);
      if (existing) {
        if (existing.request_hash !== hash) throw new IdempotencyKeyReusedError();
        return { server: existing, replayed: true };
      }
      // The upload was read before this transaction; the sweep may have removed it since. Held to the commit.
      if (pack?.modpack.source === "upload") await holdUploadedPack(tx, pack.modpack.sha512, body.customerId);
      const request = settings(body, type, game, pack);
      // A NeoForge build not installed yet costs an installer run: counted against the customer's day (429, nothing written).
      await claimNewNeoforgeBuild(tx, { customerId: body.customerId, ...request }, ctx.config.neoforgeNewBuildsPerDay);
      await setActor(tx, callerId);
      const id = randomUUID();
      const [vmid] = await withContentionFallback(1, (mode, n) => takeVmids(tx, id, ctx.vmidRange, n, mode));
      if (vmid === undefined) throw new CapacityExhaustedError("vmid");
      const resources = { memoryMiB: body.memoryMiB, cpuCores: body.cpuCores, diskGiB: body.diskGiB };
      const [hostId] = await withContentionFallback(1, async (mode) => {
        const claimed = await claimHost(tx, resources, mode, { policy: ctx.config.placementPolicy, leaseTtlMs: ctx.config.leaseTtlMs });
        return claimed ? [claimed] : [];
      });
      if (!hostId) throw new CapacityExhaustedError("host");
      const resolved = ctx.manifests?.peek(request) ?? null;
      const server = await insertPlacedServer(
        tx,
        {
          id,
          callerId,
          idempotencyKey,
          requestHash: hash,
          customerId: body.customerId,
          name: body.name,
          ...request,
          serverProperties: body.serverProperties ?? {},
          ...resources,
          vmid,
        },
        hostId,
        ctx.portRange,
        resolved === null,
      );
      if (!server) throw new CapacityExhaustedError(await placementShortage(tx, hostId));
      if (resolved) {
        await storeManifest(tx, id, resolved.manifest, resolved.hash, seal(ctx.config.secretsKeys, newRconPassword()));
        await converge(tx, id);
      }
      return { server, replayed: false };
    }),
  );
}

/** The game, loader, mods and pack a create asks for (a modpack's where there is one). */
function settings(body: CreateServerBody, type: ServerType, game: string, pack: PackSettings | null) {
  return { type, minecraftVersion: game, loaderVersion: pack?.loaderVersion ?? body.loaderVersion ?? null, mods: body.mods ?? [], modpack: pack?.modpack ?? null };
}
