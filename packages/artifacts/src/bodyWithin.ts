import { ArtifactFetchError, fetchFailure } from "./source";

/**
 * A response body read by `deadline`: a chunk not come by then ends it with
 * ArtifactFetchError (the attempt's bound covers the body, not only the
 * headers), as does a body that breaks off. Leaving early (a consumer that
 * stops at a size cap) cancels the download.
 */
export async function* bodyWithin(url: string, body: ReadableStream<Uint8Array>, deadline: number, timeoutMs: number): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ArtifactFetchError(url, `the body did not arrive within ${timeoutMs / 1000} s`)), Math.max(0, deadline - Date.now()));
      });
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await Promise.race([reader.read(), late]);
      } catch (err) {
        // The request's own abort signal may fire first (the same bound): the same failure, in the same words.
        if (err instanceof ArtifactFetchError) throw err;
        if ((err as Error).name === "TimeoutError") throw new ArtifactFetchError(url, `the body did not arrive within ${timeoutMs / 1000} s`);
        throw fetchFailure(url, err, timeoutMs);
      } finally {
        clearTimeout(timer);
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    // Not awaited: a source that never ends may never settle its cancel either.
    reader.cancel().catch(() => undefined);
  }
}

/** Every chunk of a body, concatenated. */
export async function readAll(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of body) parts.push(chunk);
  return new Uint8Array(Buffer.concat(parts));
}

/** The most JSON a source reads for one answer: no upstream's metadata is near it (Mojang's version manifest, the largest, is ~1 MiB). */
export const JSON_MAX_BYTES = 16 * 1024 * 1024;

/**
 * The JSON `body` carries, refused (ArtifactFetchError) at the first byte past
 * `maxBytes`, where the download is stopped: a hostile or broken upstream
 * cannot make the control plane hold gigabytes for one answer.
 */
export async function jsonWithin<T>(url: string, body: AsyncIterable<Uint8Array>, maxBytes = JSON_MAX_BYTES): Promise<T> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new ArtifactFetchError(url, `answered more than ${maxBytes} bytes of JSON, more than any upstream's metadata is; the download was stopped there`);
    parts.push(chunk);
  }
  return JSON.parse(new TextDecoder().decode(Buffer.concat(parts))) as T;
}
