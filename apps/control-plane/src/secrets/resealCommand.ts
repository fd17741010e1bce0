import { connectDatabase } from "@zlh/db";
import type { ControlPlaneConfig } from "../config";
import { resealSecrets } from "./resealSecrets";

/**
 * `zlh-control-plane.mjs reseal-secrets` (`pnpm secrets:reseal`): the step of a ZLH_SECRETS_KEY
 * rotation that leaves nothing under the previous keys. Reads the control plane's own env file.
 * Prints one JSON line; exits 0 when every value is under ZLH_SECRETS_KEY, 1 when some could not be
 * opened (their server ids are printed, never a secret) or the database failed (one sentence).
 */
export async function runResealCommand(config: ControlPlaneConfig): Promise<number> {
  const database = connectDatabase(config.databaseUrl, { max: 2, applicationName: "zlh-reseal-secrets" });
  try {
    const report = await resealSecrets(database.db, config.secretsKeys);
    console.log(JSON.stringify({ keyId: config.secretsKeys.current.id, ...report }));
    return report.unreadable.length === 0 ? 0 : 1;
  } catch (err) {
    // Nothing is half-written: each value is replaced in its own statement, so a run again resumes.
    const e = err as Error & { cause?: Error };
    console.error(`reseal-secrets stopped: ${e.cause?.message ?? e.message}; run it again once that is fixed (it resumes)`);
    return 1;
  } finally {
    await database.close();
  }
}
