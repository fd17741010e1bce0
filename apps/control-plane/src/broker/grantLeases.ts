import { sql } from "drizzle-orm";
import { leaseNextOperations, uuidArray, type Db, type ServerRow } from "@zlh/db";
import type { Manifest } from "@zlh/artifacts";
import type { LeasedOperation } from "@zlh/protocol";
import { unseal } from "../secrets/sealedSecrets";
import { onOperationLeased } from "./effects";

/**
 * Where a lease is granted: up to `max` queued operations of the host go to
 * its current session, each with a fresh fencing token, and their servers
 * move to their working status, all in one transaction.
 */
export async function grantLeases(
  db: Db,
  secretsKey: Buffer,
  hostId: string,
  sessionId: string,
  max: number,
  ttlMs: number,
): Promise<LeasedOperation[]> {
  return db.transaction(async (tx) => {
    const ops = await leaseNextOperations(tx, hostId, sessionId, max, ttlMs);
    if (ops.length === 0) return [];
    const servers = await tx.execute<ServerRow>(
      sql`select * from servers where id = any(${uuidArray(ops.map((o) => o.server_id))})`,
    );
    const byId = new Map(servers.map((s) => [s.id, s]));
    const granted: LeasedOperation[] = [];
    for (const op of ops) {
      await onOperationLeased(tx, op);
      const s = byId.get(op.server_id);
      if (!s || !op.lease_token || !op.lease_expires_at) continue;
      granted.push({
        opId: op.id,
        token: op.lease_token,
        kind: op.kind,
        serverId: op.server_id,
        generation: op.generation,
        attempt: op.attempt,
        leaseExpiresAt: new Date(op.lease_expires_at).toISOString(),
        spec: {
          vmid: op.vmid,
          hostname: `zlh-${op.vmid}`,
          memoryMiB: s.memory_mib,
          cpuCores: s.cpu_cores,
          diskGiB: s.disk_gib,
          gamePort: s.game_port,
          rconPort: s.rcon_port,
          minecraftVersion: s.minecraft_version,
          loaderVersion: s.loader_version,
          serverProperties: s.server_properties,
          manifest: op.kind === "provision" ? (s.manifest as Manifest | null) : null,
          rconPassword: s.rcon_password_enc ? unseal(secretsKey, s.rcon_password_enc) : null,
        },
      });
    }
    return granted;
  });
}
