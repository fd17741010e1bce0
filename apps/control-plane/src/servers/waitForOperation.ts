import { getOperation, type Db, type OperationRow } from "@zlh/db";

/** The first pause between reads; each next is 1.5 times the last, up to POLL_MAX_MS. */
const POLL_FIRST_MS = 20;
const POLL_MAX_MS = 250;

/**
 * The operation once it has ended (succeeded, failed or cancelled), or null
 * after `timeoutMs` or once `signal` aborts. The result may be applied by
 * whichever control-plane process holds the agent's session, so the database
 * is where it shows: its row is read at once, then with a backoff (20 ms,
 * 30, 45, ... up to 250 ms between reads), so a quick answer (a log read, a
 * console command) is seen within tens of milliseconds while a slow one
 * costs about four primary-key reads a second, not forty. (A NOTIFY on every
 * result would need the result path to send it; the backoff needs nothing.)
 */
export async function waitForOperation(db: Db, opId: string, timeoutMs: number, signal?: AbortSignal): Promise<OperationRow | null> {
  const deadline = Date.now() + timeoutMs;
  let pause = POLL_FIRST_MS;
  for (;;) {
    if (signal?.aborted) return null;
    const op = await getOperation(db, opId);
    if (op && (op.status === "succeeded" || op.status === "failed" || op.status === "cancelled")) return op;
    const left = deadline - Date.now();
    if (left <= 0) return null;
    await pauseFor(Math.min(pause, left), signal);
    pause = Math.min(POLL_MAX_MS, Math.ceil(pause * 1.5));
  }
}

function pauseFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
