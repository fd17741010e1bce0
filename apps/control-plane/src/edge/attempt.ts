import type { Logger } from "pino";
import { type Db, nameWantedByAnother, recordEvent, recordPublicationOutcome, type PublicationRow } from "@zlh/db";
import { backoffMs, matchesDesired, removalVerified, wantedOn } from "./edgeDiff";
import { EdgeProviderError, type EdgeProvider } from "./provider";

export interface AttemptDeps {
  db: Db;
  log: Logger;
  /** Each provider call's deadline. */
  callTimeoutMs?: number;
}

/**
 * One due publication applied or removed on its provider and verified by reading the name back; its outcome
 * recorded (verified, or failed and due again after a backoff). True when it succeeded.
 */
export async function attemptPublication(deps: AttemptDeps, provider: EdgeProvider, p: PublicationRow): Promise<boolean> {
  const signal = AbortSignal.timeout(deps.callTimeoutMs ?? 30_000);
  const edge = p.desired_hash === null ? null : wantedOn(p, provider);
  const log = deps.log.child({ serverId: p.server_id, provider: p.provider, fqdn: p.fqdn });
  try {
    if (edge) {
      // The name moved (the template or the provider's zone changed): the old name goes before the new one is published.
      if (p.applied_fqdn !== null && p.applied_fqdn !== edge.fqdn) await removeName(deps, provider, p.server_id, p.applied_fqdn, signal);
      await provider.apply(p.server_id, edge, signal);
      if (!provider.pushOnly && !matchesDesired(p.server_id, edge, await provider.read(edge.fqdn, signal))) {
        throw new EdgeProviderError("unverified", `${provider.name}: ${edge.fqdn} was applied but a lookup does not answer the records yet.`);
      }
      await recordEvent(deps.db, { type: "edge.published", serverId: p.server_id, data: { provider: p.provider, fqdn: edge.fqdn } });
    } else {
      const fqdn = p.applied_fqdn ?? p.fqdn;
      await removeName(deps, provider, p.server_id, fqdn, signal);
      await recordEvent(deps.db, { type: "edge.unpublished", serverId: p.server_id, data: { provider: p.provider, fqdn } });
    }
    await recordPublicationOutcome(deps.db, { serverId: p.server_id, provider: p.provider, attempted: p.desired_hash }, { ok: true });
    return true;
  } catch (e) {
    const err = e instanceof EdgeProviderError ? e : new EdgeProviderError("error", `${provider.name}: ${(e as Error).name === "TimeoutError" ? "the call timed out" : "the call failed"}.`);
    if (!(e instanceof EdgeProviderError)) log.error({ err: e }, "edge provider call failed unexpectedly");
    const retryInMs = backoffMs(p.attempts);
    log.warn({ code: err.code, attempts: p.attempts + 1, retryInMs }, err.message);
    await recordPublicationOutcome(deps.db, { serverId: p.server_id, provider: p.provider, attempted: p.desired_hash }, { ok: false, code: err.code, message: err.message, retryInMs });
    return false;
  }
}

/** A name outside the provider's zone (an old name after the zone moved): the provider cannot hold it, so nothing of ours is there. */
const OUTSIDE_ZONE = new Set(["notzone"]);

/**
 * What `serverId` holds at `fqdn` removed, and the removal verified. A route list owns names by the naming
 * scheme, not by server: when another live server wants the same name (a VMID reused after a delete), the
 * route is that server's now and is left alone. A name someone else now holds is nothing of ours left there.
 */
async function removeName(deps: AttemptDeps, provider: EdgeProvider, serverId: string, fqdn: string, signal: AbortSignal): Promise<void> {
  if (provider.publishes === "route" && (await nameWantedByAnother(deps.db, provider.name, fqdn, serverId))) return;
  const outside = await provider.remove(serverId, fqdn, signal).then(
    () => false,
    (e: unknown) => {
      if (e instanceof EdgeProviderError && OUTSIDE_ZONE.has(e.code)) return true;
      if (!(e instanceof EdgeProviderError && e.code === "not_owner")) throw e;
      return false;
    },
  );
  if (outside) return;
  if (!provider.pushOnly && !removalVerified(serverId, await provider.read(fqdn, signal))) {
    throw new EdgeProviderError("unverified", `${provider.name}: ${fqdn} was removed but a lookup still answers it.`);
  }
}
