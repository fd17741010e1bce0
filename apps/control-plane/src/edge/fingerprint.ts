import { createHash } from "node:crypto";
import { type DbOrTx, noteEdgeProviderConfigs } from "@zlh/db";
import type { EdgeProvider } from "./provider";

/**
 * What a provider's names and records are derived from besides each server's row: its kind, what it holds,
 * its zone, the naming template, its target and the TTL. The database's trigger marks a server dirty when
 * its row changes; this is the other half: a change here, across a restart, marks every server dirty.
 */
export function namingFingerprint(p: Pick<EdgeProvider, "kind" | "publishes" | "naming">): string {
  const { zone, template, edge, ttl } = p.naming;
  const inputs = { kind: p.kind, publishes: p.publishes, zone, template: template.source, edge, ttl };
  return createHash("sha256").update(JSON.stringify(inputs)).digest("hex").slice(0, 32);
}

/**
 * At start: every configured provider's fingerprint against the last start's. Any new or changed one marks
 * every server dirty, so the next pass removes the old names and publishes the new ones (the audit would
 * find them only later, and a proxy's old route, outside the new scheme, never). True when it did.
 */
export function noteEdgeNaming(db: DbOrTx, providers: readonly EdgeProvider[]): Promise<boolean> {
  return noteEdgeProviderConfigs(
    db,
    providers.map((p) => ({ provider: p.name, fingerprint: namingFingerprint(p) })),
  );
}
