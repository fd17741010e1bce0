import { holdOwnedModpackUpload, type DbOrTx } from "@zlh/db";
import { ModpackNotFoundError } from "@zlh/domain";

/**
 * In the transaction that records a server pinning an uploaded pack: locks
 * the pack until the commit (so the retention sweep cannot remove it under
 * the new server) and refuses, writing nothing, if the sweep removed the
 * customer's upload after it was read.
 */
export async function holdUploadedPack(tx: DbOrTx, sha512: string, customerId: string): Promise<void> {
  if (!(await holdOwnedModpackUpload(tx, sha512, customerId))) {
    throw new ModpackNotFoundError(`This customer's uploaded modpack ${sha512} was removed as unused while the request was read; upload it again.`);
  }
}
