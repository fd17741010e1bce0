import { ArtifactFetchError, fetchFailure, streamFrom, type ArtifactSource } from "./source";

/**
 * `body`'s chunks, abandoned at `deadline` (epoch ms): a download whose
 * headers arrived but whose body trickles, or stops, ends there with a
 * retryable ArtifactFetchError instead of holding its caller for as long as
 * the upstream likes. On the deadline a fetch body's reader is cancelled,
 * which closes its connection at once (an iterator's return() would wait for
 * the read that never comes). A timeout or abort of the fetch's own signal
 * while the body is read is an ArtifactFetchError too, not a bare DOMException.
 */
async function* withinDeadline(body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>, deadline: number, url: string): AsyncGenerator<Uint8Array> {
  const reader = "getReader" in body ? body.getReader() : null;
  const it: { next(): Promise<IteratorResult<Uint8Array>>; return?(): unknown } = reader
    ? { next: () => reader.read() as Promise<IteratorResult<Uint8Array>>, return: () => reader.cancel() }
    : (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const ms = Math.max(0, deadline - Date.now());
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(expiredError(url, ms)), ms);
  });
  expired.catch(() => {}); // raced below; never left unhandled
  let finished = false;
  try {
    for (;;) {
      const next = await Promise.race([it.next(), expired]);
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } catch (err) {
    const name = (err as Error).name;
    if (name === "TimeoutError" || name === "AbortError") throw fetchFailure(url, err);
    throw err;
  } finally {
    clearTimeout(timer);
    // Not awaited: a node stream's return() settles at once, a reader's cancel() too; neither may hold the caller.
    if (!finished) void Promise.resolve(it.return?.()).catch(() => {});
  }
}

/**
 * `source` with every download bounded by `ms`, its body included
 * (withinDeadline): fetchBytes and fetchAtMost read through the bounded
 * stream too. The source is asked for the same bound (FetchOptions), so
 * its own shorter default (upstreamSource's 60 s) does not end the download
 * first. JSON answers are small and left to the source's own bounds.
 */
export function withDownloadDeadline(source: ArtifactSource, ms: number): ArtifactSource {
  const stream = (url: string) => downloadWithin(source, url, ms);
  return {
    kind: source.kind,
    fetchJson: (url) => source.fetchJson(url),
    fetchStream: stream,
    async fetchBytes(url) {
      const parts: Uint8Array[] = [];
      for await (const chunk of await stream(url)) parts.push(chunk);
      return new Uint8Array(Buffer.concat(parts));
    },
  };
}

/**
 * `url`'s body from `source`, headers and body within `ms` (withinDeadline). The source's own bound is a little
 * past ours: at the deadline it is ours that ends the download (the two timers would otherwise race, and which
 * message the caller saw would depend on the machine's load).
 */
export async function downloadWithin(source: ArtifactSource, url: string, ms: number): Promise<AsyncGenerator<Uint8Array>> {
  const deadline = Date.now() + ms;
  const opened = streamFrom(source, url, { timeoutMs: ms + SOURCE_SLACK_MS });
  return withinDeadline(await headersBefore(opened, deadline, url), deadline, url);
}

/** How much later than a download's own deadline its source is told to give up. */
const SOURCE_SLACK_MS = 1000;

const expiredError = (url: string, ms: number) => new ArtifactFetchError(url, `the download did not finish within ${Math.ceil(ms / 1000)} s; abandoned (try again)`);

/** `opened` (a download's headers), or the deadline's failure if they come later; a body that comes after it is closed unread. */
function headersBefore(opened: Promise<AsyncIterable<Uint8Array>>, deadline: number, url: string): Promise<AsyncIterable<Uint8Array>> {
  const ms = Math.max(0, deadline - Date.now());
  let timer: ReturnType<typeof setTimeout> | undefined;
  let late = false;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      late = true;
      reject(expiredError(url, ms));
    }, ms);
  });
  void opened.then(
    (body) => {
      if (late) void Promise.resolve(body[Symbol.asyncIterator]().return?.()).catch(() => {});
    },
    () => {},
  );
  return Promise.race([opened, expired]).finally(() => clearTimeout(timer));
}
