export interface RetryOptions {
  /** Attempts after the first for a 429 or 503 (default 3). */
  maxRetries?: number;
  /** The longest wait the client accepts; a Retry-After beyond it is answered at once (default 10 s). */
  maxDelayMs?: number;
}

/** How long a 429 or 503 asks to wait: Retry-After in seconds or as an HTTP date, else a doubling backoff from 250 ms. */
export function retryDelayMs(res: Response, attempt: number): number {
  const header = res.headers.get("retry-after");
  if (header !== null && /^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = header === null ? Number.NaN : Date.parse(header);
  if (!Number.isNaN(date)) return Math.max(0, date - Date.now());
  return 250 * 2 ** attempt;
}

export const sleep = (ms: number, signal?: AbortSignal | null) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

/**
 * A fetch that sends a request again when it is answered 429 or 503,
 * waiting what Retry-After says, at most `maxRetries` times and never longer
 * than `maxDelayMs` at once (a longer wait is the caller's decision: the
 * response is returned). The request is sent as it is, Idempotency-Key
 * included, so a retried write is the same write.
 */
export function retryingFetch(base: (request: Request) => Promise<Response>, options: RetryOptions = {}) {
  const maxRetries = options.maxRetries ?? 3;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  return async (request: Request): Promise<Response> => {
    for (let attempt = 0; ; attempt++) {
      const res = await base(request.clone());
      if ((res.status !== 429 && res.status !== 503) || attempt >= maxRetries) return res;
      const delay = retryDelayMs(res, attempt);
      if (delay > maxDelayMs || request.signal.aborted) return res;
      await res.body?.cancel();
      await sleep(delay, request.signal);
    }
  };
}
