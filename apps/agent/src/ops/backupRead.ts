import { backupPath, openArchive } from "./backup";
import type { OpContext, ResultData } from "./context";
import { OpFailure } from "./opFailure";

/** The most one read returns: a result frame stays far below the gateway's 4 MiB. */
const MAX_READ = 1024 * 1024;

/**
 * One chunk of a backup's archive, for a download: `length` bytes from
 * `offset`, base64, with the archive's size. The archive is the agent's own
 * file, opened as a regular file only (a link or FIFO at its path is
 * refused, never followed or waited on), and the read is bounded.
 */
export async function backupRead(ctx: OpContext): Promise<ResultData> {
  const want = ctx.op.spec.read;
  if (!want || !/^[0-9a-f-]{36}$/.test(want.backupId)) throw new OpFailure("bad_backup_id", "a backup read must name its backup", false);
  const length = Math.min(MAX_READ, want.length);
  const fh = await openArchive(backupPath(ctx, ctx.op.serverId, want.backupId));
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.alloc(Math.max(0, Math.min(length, size - want.offset)));
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, want.offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return { size, data: buf.subarray(0, got).toString("base64") };
  } finally {
    await fh.close();
  }
}
