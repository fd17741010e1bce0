import { hasQueuedWork, leaseNextOperations, nextBackoffEnd, type Db, type LeasedRow } from "@zlh/db";
import type { Manifest } from "@zlh/artifacts";
import type { LeasedOperation } from "@zlh/protocol";
import { unseal, type SecretsKeyring } from "../secrets/sealedSecrets";
import { onOperationLeased } from "./effects";
import { OPERATION_DEFINITIONS } from "./kinds";
import type { Metrics } from "../metrics/metrics";

/**
 * Where a lease is granted: up to `max` queued operations of the host go to
 * its current session, each with a fresh fencing token, and their servers
 * move to their working status, all in one transaction.
 *
 * Most asks find nothing: an agent asks after every grant, every finished
 * operation and every lease TTL, so 1,000 idle hosts ask about 70 times a
 * second. One read-only probe answers those without a transaction (three
 * round trips and a commit fewer); the probe never says "none" while there
 * is queued work (hasQueuedWork), so it hides nothing.
 */
export interface LeaseAsk {
  hostId: string;
  /** The agent's session: leases are granted to it, and fenced by it. */
  sessionId: string;
  /** How many operations the agent has room for. */
  max: number;
  ttlMs: number;
  /** Unseals the RCON password put into the spec. */
  secretsKeys: SecretsKeyring;
  metrics?: Metrics;
}

export interface LeaseGrant {
  ops: LeasedOperation[];
  /**
   * With fewer granted than asked for, when a queued operation of the host now waiting out its retry
   * backoff becomes leasable (null: none waits): nothing else tells the agent then, so its session does.
   */
  nextBackoffEnd: Date | null;
}

export async function grantLeases(db: Db, ask: LeaseAsk): Promise<LeaseGrant> {
  // An idle host costs one statement, as before: nothing queued, nothing waiting out a backoff either.
  if (!(await hasQueuedWork(db, ask.hostId))) return { ops: [], nextBackoffEnd: null };
  const ops = await leaseQueued(db, ask);
  return { ops, nextBackoffEnd: ops.length < ask.max ? await nextBackoffEnd(db, ask.hostId) : null };
}

async function leaseQueued(db: Db, ask: LeaseAsk): Promise<LeasedOperation[]> {
  const { hostId, sessionId, max, ttlMs, secretsKeys, metrics } = ask;
  return db.transaction(async (tx) => {
    const ops = await leaseNextOperations(tx, hostId, sessionId, max, ttlMs);
    if (ops.length === 0) return [];
    const granted: LeasedOperation[] = [];
    for (const op of ops) {
      metrics?.leasesGranted.inc({ kind: op.kind });
      if (op.attempt === 1) metrics?.dispatchDuration.observe({ kind: op.kind }, op.age_ms / 1000);
      await onOperationLeased(tx, op);
      if (!op.lease_token || !op.lease_expires_at) continue;
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
          memoryMiB: op.memory_mib,
          cpuCores: op.cpu_cores,
          diskGiB: op.disk_gib,
          gamePort: op.game_port,
          rconPort: op.rcon_port,
          ...networkSpec(op),
          minecraftVersion: op.minecraft_version,
          loaderVersion: op.loader_version,
          serverProperties: op.server_properties,
          manifest: op.manifest as Manifest | null,
          rconPassword: op.rcon_password_enc ? unseal(secretsKeys, op.rcon_password_enc) : null,
          ...OPERATION_DEFINITIONS[op.kind].spec?.(op),
        },
      });
    }
    return granted;
  });
}

/**
 * The container's network: on a static host the address allocated with the server; on a dhcp host the
 * bridge only. Nothing for a host without network settings (the agent keeps its own), nor for a static
 * host's server placed before the host had them (it holds no address; the agent keeps what it made).
 */
export function networkSpec(op: Pick<LeasedRow, "network_mode" | "network_bridge" | "network_prefix" | "network_gateway" | "allocated_address">): Pick<LeasedOperation["spec"], "network"> {
  if (op.network_mode === "dhcp" && op.network_bridge) return { network: { bridge: op.network_bridge, mode: "dhcp" } };
  if (op.network_mode === "static" && op.network_bridge && op.allocated_address && op.network_prefix !== null && op.network_gateway) {
    return { network: { bridge: op.network_bridge, address: op.allocated_address, prefix: op.network_prefix, gateway: op.network_gateway } };
  }
  return {};
}
