import {
  dropRemovedPublications,
  type EdgeServerRow,
  listDuePublications,
  listEdgeDirty,
  listEdgeServers,
  listPublications,
  recordEvent,
  releaseEdgeHold,
  storeDesiredPublications,
  storeReachable,
  type PublicationRow,
} from "@zlh/db";
import { converge } from "../lifecycle/converge";
import { reachableCondition } from "./conditions";
import { type AttemptDeps, attemptPublication } from "./attempt";
import { eachLimited } from "./eachLimited";
import { desiredHashOn, edgeName } from "./edgeDiff";
import type { EdgeProvider } from "./provider";

export interface EdgePassDeps extends AttemptDeps {
  /** Each with its own zone and target (`naming`): desired state is per (server, provider). */
  providers: EdgeProvider[];
}

const DIRTY_BATCH = 1000;
const DUE_BATCH = 500;
const CONCURRENCY = 16;

/**
 * One incremental edge pass: the servers marked dirty get their desired publications recorded (a row per
 * provider, due when its hash changed), then every due row is applied or removed and verified by a lookup,
 * then the touched servers' `reachable` condition is judged and a delete waiting for its removal goes on.
 * A quiet pass reads two empty partial indexes.
 */
export async function edgePass(deps: EdgePassDeps): Promise<{ dirty: number; attempted: number; failed: number }> {
  const { db, providers } = deps;
  const dirty = await listEdgeDirty(db, DIRTY_BATCH);
  if (dirty.length > 0) {
    const rows = dirty.flatMap((s) =>
      providers.map((p) => ({ serverId: s.id, provider: p.name, fqdn: edgeName(s, p.naming), desiredHash: desiredHashOn(s, p) })),
    );
    // A delete waiting for its removal stays dirty: each pass judges it again until the wait ends.
    await db.transaction((tx) => storeDesiredPublications(tx, rows, dirty.filter((s) => s.edge_hold_until === null).map((s) => ({ id: s.id, edge_dirty_at: s.edge_dirty_at! }))));
  }
  // A delete whose grace is over goes on before any provider call: a blackholed DNS must not delay it further.
  const overdue = dirty.filter((s) => s.edge_hold_until !== null && new Date(s.edge_hold_until).getTime() <= Date.now());
  if (overdue.length > 0) await judgeServers(deps, overdue.map((s) => s.id));
  const due = await listDuePublications(db, providers.map((p) => p.name), DUE_BATCH);
  let failed = 0;
  await eachLimited(due, CONCURRENCY, async (p) => {
    // Never absent: listDuePublications takes the configured providers.
    const provider = providers.find((x) => x.name === p.provider);
    if (provider && !(await attemptPublication(deps, provider, p))) failed++;
  });
  const touched = [...new Set([...dirty.map((s) => s.id), ...due.map((p) => p.server_id)])];
  if (touched.length > 0) await judgeServers(deps, touched);
  return { dirty: dirty.length, attempted: due.length, failed };
}

/** The touched servers' `reachable` condition, and the deletes whose wait for the edge is over. */
async function judgeServers(deps: EdgePassDeps, serverIds: string[]): Promise<void> {
  const rows = await listPublications(deps.db, { serverIds });
  const byServer = new Map<string, PublicationRow[]>();
  for (const r of rows) byServer.set(r.server_id, [...(byServer.get(r.server_id) ?? []), r]);
  for (const s of await listEdgeServers(deps.db, serverIds)) {
    const pubs = byServer.get(s.id) ?? [];
    const next = reachableCondition(s, pubs, deps.providers.map((p) => p.name));
    if (!s.reachable || s.reachable.status !== next.status || s.reachable.reason !== next.reason) {
      await storeReachable(deps.db, s.id, next);
    }
    if (s.edge_hold_until !== null) await endDeleteWait(deps, s, pubs);
    if (s.status === "deleted") await dropRemovedPublications(deps.db, s.id);
  }
}

/**
 * A delete goes on once every configured provider's removal is verified, or its grace is over (the removal
 * keeps being retried). A row of a provider no longer configured is not waited for.
 */
async function endDeleteWait(deps: EdgePassDeps, s: EdgeServerRow, all: PublicationRow[]): Promise<void> {
  const pubs = all.filter((p) => deps.providers.some((x) => x.name === p.provider));
  const removed = pubs.every((p) => p.desired_hash === null && p.applied_hash === null && p.next_attempt_at === null);
  const expired = new Date(s.edge_hold_until!).getTime() <= Date.now();
  if (!removed && !expired) return;
  await deps.db.transaction(async (tx) => {
    if (!(await releaseEdgeHold(tx, s.id))) return;
    const pending = pubs.filter((p) => p.next_attempt_at !== null).map((p) => ({ provider: p.provider, reason: p.last_error_code }));
    await recordEvent(tx, { type: removed ? "server.edge_removed" : "server.edge_removal_overdue", serverId: s.id, data: removed ? {} : { pending } });
    await converge(tx, s.id);
  });
}
