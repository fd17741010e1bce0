import { constants } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { sha256OfFile } from "./backup";
import type { OpContext } from "./context";
import { OpFailure } from "./opFailure";

/** No byte from the relay for this long: the fetch is given up (retryable; the next attempt resumes). */
const IDLE_MS = 60_000;

/**
 * Fetches the archive of a backup kept on another host from the control
 * plane's relay into `<ZLH_BACKUP_DIR>/.fetched/<backupId>.tar.gz`: written
 * to `<name>.part` from where an interrupted attempt stopped (its size is the
 * offset asked for), never past the recorded size, then its size and sha256
 * checked and only then renamed to its name. A relay that fails or stalls is
 * a retryable failure (the `.part` is kept); bytes that are not the backup
 * are `backup_corrupt`, and the `.part` is removed. Returns the path.
 */
export async function fetchArchive(ctx: OpContext, want: { backupId: string; sha256: string; sizeBytes: number }): Promise<string> {
  if (!ctx.control) throw new OpFailure("backup_unreachable", "this agent has no control-plane address to fetch the archive from", false);
  const dir = join(ctx.backupDir, ".fetched");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${want.backupId}.tar.gz`);
  const part = `${path}.part`;
  const fh = await open(part, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600).catch((err: NodeJS.ErrnoException) => {
    throw err.code === "ELOOP" ? new OpFailure("not_regular_file", `${part} is a symbolic link, not a partial archive`, false) : err;
  });
  let offset: number;
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new OpFailure("not_regular_file", `${part} is not a regular file`, false);
    offset = st.size;
    if (offset > want.sizeBytes) {
      await fh.truncate(0);
      offset = 0;
    }
    if (offset < want.sizeBytes) offset = await relayInto(ctx, fh, offset, want.sizeBytes);
  } finally {
    await fh.close();
  }
  if (offset !== want.sizeBytes) throw new OpFailure("backup_unreachable", `the relay ended after ${offset} of ${want.sizeBytes} bytes; the next attempt resumes`, true);
  const measured = await sha256OfFile(part);
  if (measured.sha256 !== want.sha256) {
    await rm(part, { force: true });
    throw new OpFailure("backup_corrupt", `the fetched archive's sha256 is ${measured.sha256}, the backup's ${want.sha256}`, false);
  }
  await rename(part, path);
  ctx.log.info({ backupId: want.backupId, bytes: want.sizeBytes }, "backup fetched from another host");
  return path;
}

/** Appends the relay's bytes from `offset` to `fh`; returns the size reached. */
async function relayInto(ctx: OpContext, fh: import("node:fs/promises").FileHandle, offset: number, size: number): Promise<number> {
  const idle = new AbortController();
  let timer = setTimeout(() => idle.abort(), IDLE_MS);
  const url = `${ctx.control!.url}/v1/agent/restores/${ctx.op.opId}/archive?offset=${offset}`;
  try {
    const res = await fetch(url, { headers: { authorization: `Bearer ${ctx.control!.token}` }, signal: AbortSignal.any([ctx.signal, idle.signal]) });
    if (res.status !== 200) {
      const text = (await res.text().catch(() => "")).slice(0, 500);
      const message = (() => {
        try {
          return String((JSON.parse(text) as { message?: unknown }).message ?? text);
        } catch {
          return text;
        }
      })();
      throw new OpFailure("backup_unreachable", `the control plane could not relay the archive (${res.status}): ${message}`, res.status >= 500 || res.status === 429);
    }
    for await (const chunk of res.body ?? []) {
      const buf = Buffer.from(chunk as Uint8Array);
      if (offset + buf.length > size) {
        await fh.truncate(0);
        throw new OpFailure("backup_corrupt", `the relay sent more than the backup's ${size} bytes`, false);
      }
      ctx.signal.throwIfAborted();
      await fh.write(buf, 0, buf.length, offset);
      offset += buf.length;
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(), IDLE_MS);
    }
    return offset;
  } catch (err) {
    if (err instanceof OpFailure || ctx.signal.aborted) throw err;
    throw new OpFailure("backup_unreachable", `the relay of the archive broke off after ${offset} of ${size} bytes: ${(err as Error).message}`, true);
  } finally {
    clearTimeout(timer);
  }
}
