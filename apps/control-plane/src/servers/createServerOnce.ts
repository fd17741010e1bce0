import { randomUUID } from "node:crypto";
import type { CreateServerBody } from "@zlh/api";
import {
  findServerByIdempotencyKey,
  lockIdempotencyKey,
  placeServer,
  takePorts,
  takeVmids,
  withContentionFallback,
  type Db,
  type PlacementPolicy,
  type ServerRow, setActor } from "@zlh/db";
import { CapacityExhaustedError, IdempotencyKeyReusedError, type IntRange } from "@zlh/domain";
import { retryOnDeadlock } from "../db/retryOnDeadlock";
import { requestHash } from "./requestHash";

export interface CreateContext {
  db: Db;
  vmidRange: IntRange;
  portRange: IntRange;
  config: { placementPolicy: PlacementPolicy; leaseTtlMs: number };
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
 * the key was used (or refuse a different body); else take a VMID, two ports
 * and host capacity and insert the row, its event and its job. Any failure
 * rolls back all of it, so a 409 leaves nothing behind.
 */
export async function createServerOnce(
  ctx: CreateContext,
  /** The API client's name: idempotency keys are scoped to it, and it is the actor of the events. */
  callerId: string,
  idempotencyKey: string,
  body: CreateServerBody,
): Promise<Created> {
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
      const [gamePort, rconPort] = await withContentionFallback(2, (mode, n) =>
        takePorts(tx, id, ctx.portRange, n, mode),
      );
      if (gamePort === undefined || rconPort === undefined) throw new CapacityExhaustedError("port");
      const server = await withContentionFallback(1, async (mode) => {
        const placed = await placeServer(
          tx,
          {
            id,
            callerId,
            idempotencyKey,
            requestHash: hash,
            customerId: body.customerId,
            name: body.name,
            minecraftVersion: body.minecraftVersion,
            loaderVersion: body.loaderVersion ?? null,
            mods: body.mods ?? [],
            serverProperties: body.serverProperties ?? {},
            memoryMib: body.memoryMiB,
            cpuCores: body.cpuCores,
            diskGib: body.diskGiB,
            vmid,
            gamePort,
            rconPort,
          },
          mode,
          { policy: ctx.config.placementPolicy, leaseTtlMs: ctx.config.leaseTtlMs },
        );
        return placed ? [placed] : [];
      });
      if (!server[0]) throw new CapacityExhaustedError("host");
      return { server: server[0], replayed: false };
    }),
  );
}
