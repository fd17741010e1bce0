import { SERVER_DIR } from "../placement/placeServer";
import type { OpContext, ResultData } from "./context";

export const LATEST_LOG = `${SERVER_DIR}/logs/latest.log`;
const TAIL_WINDOW = 256 * 1024;
const FOLLOW_CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * The server's console log (logs/latest.log inside the container): its last
 * `tail` lines, or the complete lines written since byte `offset` (how a
 * live view follows it). The offset returned is where the next read starts,
 * in bytes of the file (never in decoded characters: an invalid UTF-8 byte
 * decodes to a 3-byte replacement character). A log shorter than the offset
 * was replaced (the server restarted) and is read from its start
 * (`rotated`). Bounded reads through the container boundary: the log is the
 * customer's, and anything but a regular file there is refused.
 */
export async function logs(ctx: OpContext): Promise<ResultData> {
  const { op, runtime } = ctx;
  const want = op.spec.logs ?? {};
  return runtime.withGuest(
    op.spec.vmid,
    async (guest) => {
      if (want.offset === undefined) {
        const { size } = await guest.read(LATEST_LOG, 0, 0);
        const from = Math.max(0, size - TAIL_WINDOW);
        const { data } = await guest.read(LATEST_LOG, from, TAIL_WINDOW);
        const { lines, consumed } = completeLines(data, from > 0);
        return { lines: lines.slice(Math.max(0, lines.length - (want.tail ?? 100))), offset: from + consumed, rotated: false };
      }
      let offset = want.offset;
      let { data, size } = await guest.read(LATEST_LOG, offset, FOLLOW_CHUNK);
      const rotated = size < offset;
      if (rotated) {
        offset = 0;
        ({ data } = await guest.read(LATEST_LOG, 0, FOLLOW_CHUNK));
      }
      const { lines, consumed } = completeLines(data, false);
      // A line longer than a whole chunk would never complete here: it is passed on as it is.
      if (consumed === 0 && data.length === FOLLOW_CHUNK) return { lines: [data.toString("utf8")], offset: offset + data.length, rotated };
      return { lines, offset: offset + consumed, rotated };
    },
    ctx.signal,
  );
}

/**
 * The complete lines of `data` and how many bytes they span (a partial last
 * line is left for the next read; with `skipFirst`, a partial first one is
 * dropped but its bytes count as consumed).
 */
function completeLines(data: Buffer, skipFirst: boolean): { lines: string[]; consumed: number } {
  const end = data.lastIndexOf(NEWLINE);
  if (end < 0) return { lines: [], consumed: 0 };
  let lines = data.subarray(0, end).toString("utf8").split("\n");
  if (skipFirst) lines = lines.slice(1);
  return { lines, consumed: end + 1 };
}
