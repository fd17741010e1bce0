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
import { CapacityExhaustedError, DEFAULT_SERVER_TYPE, IdempotencyKeyReusedError, type IntRange } from "@zlh/domain";
import { retryOnDeadlock } from "../db/retryOnDeadlock";
import type { ManifestCache } from "../fabric/manifestCache";
import { converge } from "../lifecycle/converge";
import { checkTypeSettings } from "../serverTypes/typeSettings";
import { newRconPassword, seal } from "../secrets/sealedSecrets";
import { requestHash } from "./requestHash";

export interface CreateContext {
  db: Db;
  vmidRange: IntRange;
  portRange: IntRange;
  config: { placementPolicy: PlacementPolicy; leaseTtlMs: number; secretsKey: Buffer };
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
 */
export async function createServerOnce(
  ctx: CreateContext,
  /** The API client's name: idempotency keys are scoped to it, and it is the actor of the events. */
  callerId: string,
  idempotencyKey: string,
  body: CreateServerBody,
): Promise<Created> {
  const type = body.type ?? DEFAULT_SERVER_TYPE;
  checkTypeSettings({ type, loaderVersion: body.loaderVersion ?? null, mods: body.mods ?? [] });
  const hash = requestHash(body);
  return retryOnDeadlock(() =>
    ctx.db.transaction(async (tx) => {
      await lockIdempotencyKey(tx, callerId, idempotencyKey);
      const existing = await findServerByIdempotencyKey(tx, callerId, idempotencyKey);
      if (existing) {
        if (existing.request_hash !== hash) throw new IdempotencyKeyReusedError();
        return { server: existing, replayed: true };
      }
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
      const request = { type, minecraftVersion: body.minecraftVersion, loaderVersion: body.loaderVersion ?? null, mods: body.mods ?? [] };
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
          type,
          minecraftVersion: body.minecraftVersion,
          loaderVersion: body.loaderVersion ?? null,
          mods: body.mods ?? [],
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
        await storeManifest(tx, id, resolved.manifest, resolved.hash, seal(ctx.config.secretsKey, newRconPassword()));
        await converge(tx, id);
      }
      return { server, replayed: false };
    }),
  );
}
