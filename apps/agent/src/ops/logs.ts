import { SERVER_DIR } from "../placement/placeServer";
import type { OpContext, OpOutcome } from "./context";

export const LATEST_LOG = `${SERVER_DIR}/logs/latest.log`;
const TAIL_WINDOW = 256 * 1024;
const FOLLOW_CHUNK = 64 * 1024;

/**
 * The server's console log (logs/latest.log inside the container): its last
 * `tail` lines, or the complete lines written since byte `offset` (how a
 * live view follows it). The offset returned is where the next read starts;
 * a log shorter than the offset was replaced (the server restarted) and is
 * read from its start (`rotated`). Bounded reads: the log is the customer's.
 */
export async function logs(ctx: OpContext): Promise<OpOutcome> {
  const { op, runtime } = ctx;
  const want = op.spec.logs ?? {};
  if (want.offset === undefined) {
    const { size } = await runtime.readFile(op.spec.vmid, LATEST_LOG, 0, 0);
    const from = Math.max(0, size - TAIL_WINDOW);
    const { data } = await runtime.readFile(op.spec.vmid, LATEST_LOG, from, TAIL_WINDOW);
    const lines = completeLines(data.toString("utf8"), from > 0).lines;
    return { lines: lines.slice(Math.max(0, lines.length - (want.tail ?? 100))), offset: from + data.length, rotated: false };
  }
  let offset = want.offset;
  let { data, size } = await runtime.readFile(op.spec.vmid, LATEST_LOG, offset, FOLLOW_CHUNK);
  const rotated = size < offset;
  if (rotated) {
    offset = 0;
    ({ data } = await runtime.readFile(op.spec.vmid, LATEST_LOG, 0, FOLLOW_CHUNK));
  }
  const { lines, consumed } = completeLines(data.toString("utf8"), false);
  return { lines, offset: offset + Buffer.byteLength(consumed, "utf8"), rotated };
}

/** The complete lines of `text` (a partial last line is left for the next read; with `skipFirst`, a partial first one too). */
function completeLines(text: string, skipFirst: boolean): { lines: string[]; consumed: string } {
  const end = text.lastIndexOf("\n");
  const consumed = end < 0 ? "" : text.slice(0, end + 1);
  let lines = consumed === "" ? [] : consumed.slice(0, -1).split("\n");
  if (skipFirst) lines = lines.slice(1);
  return { lines, consumed };
}
