import { cancelOutdatedOperations, endChange, insertOperation, lockServer, type Tx } from "@zlh/db";
import { isChangeInFlight, nextOperationKind } from "@zlh/domain";

/**
 * Level-based convergence of one server toward its desired state, inside the
 * caller's transaction (an intent, a result, an expiry, a reconciliation):
 * lock the server, cancel queued work of older generations, and, if nothing
 * is still in flight, plan the next operation. A held lease is left to
 * finish or expire; whoever records its end calls converge again.
 */
export async function converge(tx: Tx, serverId: string): Promise<string | null> {
  const s = await lockServer(tx, serverId);
  if (!s || s.status === "deleted") return null;
  if ((await cancelOutdatedOperations(tx, s.id, s.generation)).inFlight > 0) return null;
  // A change overtaken by a newer request (a stop, a delete, another intent) before it applied, with
  // nothing of it still running on the host: it ends `failed` and its settings are restored, so that
  // what the database says matches what the host has.
  if (isChangeInFlight(s.change_status) && s.change_generation !== null && s.change_generation < s.generation) {
    await endChange(tx, s.id, s.change_generation, "failed", `superseded by a newer request (generation ${s.generation}) before it was applied`);
  }
  const kind = nextOperationKind({
    status: s.status,
    desiredState: s.desired_state,
    generation: s.generation,
    restartGeneration: s.restart_generation,
    reinstallGeneration: s.reinstall_generation,
    changePending: s.change_status === "applying" && s.change_generation === s.generation && s.requested_manifest !== null,
    hasManifest: s.manifest !== null,
    healPending: s.heal_pending,
    edgeRemovalPending: s.edge_removal_pending,
  });
  return kind ? insertOperation(tx, s, kind) : null;
}
