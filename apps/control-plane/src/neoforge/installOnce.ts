import { sql } from "drizzle-orm";
import type { Db } from "@zlh/db";
import { INSTALLER_TIMEOUT_MS } from "./runInstaller";

/** How often a resolution looks again whether another process's install of the same build is done. */
export const INSTALL_POLL_MS = 2_000;
/** One install's bound and the fetches around it: how long a resolution waits for another's install of the same build. */
export const INSTALL_WAIT_MS = INSTALLER_TIMEOUT_MS + 5 * 60_000;

/**
 * Another process (another control plane, or this one's earlier
 * resolution) was still installing the same build when the wait's bound
 * passed. Not a ResolutionError: the job retries it with backoff, and by
 * then the install is recorded or its lock is free.
 */
export class InstallBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InstallBusyError";
  }
}

export interface InstallWait {
  /** The bound on waiting for another's install (INSTALL_WAIT_MS). */
  maxWaitMs?: number;
  /** Called each time the lock was found held by another: a test's way to know a waiter is waiting. */
  onBusy?: () => void;
}

export interface InstallSteps<T> {
  /** What is recorded already, read with `db` (the pool, or the transaction holding the lock). */
  recorded: (db: Db) => Promise<T | null>;
  /** The install, made and recorded in `tx`, which holds the lock. */
  install: (tx: Db) => Promise<T>;
}

/** Its transaction's statements are the lock, a read, and the recording of up to a whole install's files. */
const INSTALL_STATEMENT_MS = INSTALLER_TIMEOUT_MS;

/**
 * What `steps` records, made once across every process: the recorded one
 * if there is one; else, under a transaction-scoped advisory lock of
 * `key`, taken with pg_try_advisory_xact_lock and re-read under it, the
 * install. A lock held by another process is not waited for in Postgres
 * (that would hold a pooled connection for the minutes an install takes,
 * and a few resolutions of new builds would starve the pool): the
 * transaction ends at once and the recorded row is looked for again every
 * INSTALL_POLL_MS with no connection held between, up to the bound, then
 * InstallBusyError. In this process one attempt runs at a time
 * (oneAtATime), so a burst of new builds starts one JVM, not one each; a
 * turn that comes past the bound is not taken (InstallBusyError too).
 */
export async function installOnce<T>(db: Db, key: string, what: string, steps: InstallSteps<T>, wait: InstallWait = {}): Promise<T> {
  const maxWaitMs = wait.maxWaitMs ?? INSTALL_WAIT_MS;
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const known = await steps.recorded(db);
    if (known) return known;
    const made = await oneAtATime((queued) => {
      // A turn that comes past the bound, after waiting for this process's other installs, is not taken.
      if (queued && Date.now() > deadline) throw new InstallBusyError(`this control plane was still installing other NeoForge builds after ${Math.round(maxWaitMs / 1000)} s; the resolution of ${what} is retried later.`);
      return db.transaction(async (tx) => {
        const locked = tx as unknown as Db;
        await locked.execute(sql.raw(`set local statement_timeout = ${INSTALL_STATEMENT_MS}`));
        const [row] = await locked.execute<{ got: boolean }>(sql`select pg_try_advisory_xact_lock(hashtextextended(${key}, 0)) as got`);
        if (!row?.got) return null;
        return (await steps.recorded(locked)) ?? (await steps.install(locked));
      });
    });
    if (made) return made;
    wait.onBusy?.();
    if (Date.now() >= deadline) throw new InstallBusyError(`another process was still installing ${what} after ${Math.round(maxWaitMs / 1000)} s; the resolution is retried later.`);
    await new Promise((r) => setTimeout(r, INSTALL_POLL_MS));
  }
}

let last: Promise<unknown> = Promise.resolve();
let pending = 0;

/**
 * One at a time in this process (`queued`: the turn waited for another): an
 * install is a JVM of up to 1 GiB of heap and a work space of up to
 * INSTALLER_SPACE_BYTES of memory. Each turn is bounded (a lock try, or an
 * install within its time bound), and a resolution's turn past its own
 * bound is not taken, so the queue is bounded too.
 */
function oneAtATime<T>(fn: (queued: boolean) => Promise<T>): Promise<T> {
  const queued = pending > 0;
  pending++;
  const turn = last.then(() => fn(queued)).finally(() => pending--);
  last = turn.catch(() => undefined);
  return turn;
}
