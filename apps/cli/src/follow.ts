import type { IncomingMessage } from "node:http";
import { CliError, EXIT } from "./exitCodes";
import type { Ctx } from "./output";
import { pause } from "./pause";
import { readSse, type SseMessage } from "./sse";

const RECONNECTS = 5;
/** Reasons a stream ends with that a reconnect (resuming after the last id) outlives. */
const RESUMABLE = new Set(["max_duration", "shutting_down"]);

/**
 * Follows an SSE route until the handler says stop, the command is interrupted (SIGINT/SIGTERM), or the stream ends for
 * good. A stream that ends for a resumable reason or drops is opened again after the last id seen (Last-Event-ID), at most
 * RECONNECTS times in a row without a message in between.
 */
export async function follow(ctx: Ctx, path: (resume: string | null) => string, onMessage: (m: SseMessage) => boolean, resume: string | null = null): Promise<void> {
  let failures = 0;
  let res: IncomingMessage | null = null;
  const abort = () => res?.destroy();
  ctx.signal.addEventListener("abort", abort, { once: true });
  try {
    while (!ctx.signal.aborted) {
      let why = "the stream ended";
      try {
        res = await ctx.client.stream(path(resume), resume ? { accept: "text/event-stream", "last-event-id": resume } : { accept: "text/event-stream" });
        if (ctx.signal.aborted) return;
        for await (const m of readSse(res)) {
          if (m.event === "end") {
            const end = parseEnd(m.data);
            if (!RESUMABLE.has(end.reason)) throw new CliError(`the stream ended: ${end.reason}: ${end.message}`, end.reason.startsWith("token_") ? EXIT.auth : EXIT.apiError);
            why = end.reason;
            break;
          }
          failures = 0;
          if (m.id) resume = m.id;
          if (onMessage(m) === true) return;
        }
      } catch (err) {
        if (ctx.signal.aborted) return;
        // A refusal (4xx) is final; a stream cut or a control plane restarting is worth another try.
        if (err instanceof CliError && err.exitCode !== EXIT.unavailable) throw err;
        why = (err as Error).message;
      }
      if (ctx.signal.aborted) return;
      if (++failures > RECONNECTS) throw new CliError(`gave up following after ${RECONNECTS} reconnects: ${why}`, EXIT.unavailable);
      await pause(Math.min(250 * 2 ** failures, 5000), ctx.signal);
    }
  } finally {
    ctx.signal.removeEventListener("abort", abort);
    res?.destroy();
  }
}

function parseEnd(data: string): { reason: string; message: string } {
  try {
    const o = JSON.parse(data) as { reason?: unknown; message?: unknown };
    return { reason: typeof o.reason === "string" ? o.reason : "unknown", message: typeof o.message === "string" ? o.message : "" };
  } catch {
    return { reason: "unknown", message: data };
  }
}
