import { replaceSealedSecret, sealedSecretsPage, type Db } from "@zlh/db";
import { seal, sealedWithCurrent, unseal, type SecretsKeyring } from "./sealedSecrets";

export interface ResealReport {
  /** Values rewritten under the current key by this run. */
  resealed: number;
  /** Values no key of the keyring opens (left as they are), by server id: the run fails while there are any. */
  unreadable: { serverId: string; reason: string }[];
}

/**
 * Rewrites every sealed value not yet under the keyring's current key. Each value is its own
 * statement, replaced only if unchanged since it was read, so the run is idempotent and
 * resumable: stopped anywhere, a second run finds only what is left, and a value a control
 * plane wrote meanwhile (already under the current key) is never overwritten.
 */
export async function resealSecrets(db: Db, keys: SecretsKeyring, pageSize = 200): Promise<ResealReport> {
  const report: ResealReport = { resealed: 0, unreadable: [] };
  const prefix = `v2.${keys.current.id}.`;
  let after: string | null = null;
  for (;;) {
    const page = await sealedSecretsPage(db, after, prefix, pageSize);
    for (const row of page) {
      if (sealedWithCurrent(keys, row.sealed)) continue;
      let clear: string;
      try {
        clear = unseal(keys, row.sealed);
      } catch (err) {
        report.unreadable.push({ serverId: row.id, reason: (err as Error).message });
        continue;
      }
      if (await replaceSealedSecret(db, row.id, row.sealed, seal(keys, clear))) report.resealed++;
    }
    if (page.length < pageSize) return report;
    after = page[page.length - 1]!.id;
  }
}
