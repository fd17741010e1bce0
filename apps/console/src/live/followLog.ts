import { ZlhApiError } from "@zlh/client";
import { errorOf } from "../api";
import { endedForGood, pause, readSse } from "./sse";

export interface FollowLog {
  serverId: string;
  token: string;
  signal: AbortSignal;
  onLine(line: string): void;
  /** The token died (401, or the stream ended with token_revoked). */
  onUnauthorized(message: string): void;
}

/**
 * A server's console log live (GET /v1/servers/:id/logs/stream, the last
 * lines first), over fetch with the Authorization header. A stream the
 * control plane ends for time or shutdown, or a dropped connection, is
 * opened again after the last offset seen (Last-Event-ID), so no line
 * repeats; an answer that is not the stream (403 for a read token, 409 for a
 * server that is not running) throws ZlhApiError for the page to show.
 */
export async function followLog(f: FollowLog): Promise<void> {
  let lastId: string | undefined;
  let failures = 0;
  /** Streams in a row that ended without a line (the host cannot give the log): after 10, the page is told. */
  let emptyEnds = 0;
  while (!f.signal.aborted) {
    const headers: Record<string, string> = { authorization: `Bearer ${f.token}`, accept: "text/event-stream" };
    if (lastId !== undefined) headers["last-event-id"] = lastId;
    let res: Response;
    try {
      res = await fetch(`/v1/servers/${encodeURIComponent(f.serverId)}/logs/stream?tail=200`, { headers, signal: f.signal });
    } catch {
      if (f.signal.aborted) return;
      if (++failures > 10) throw new Error("The console log could not be reached after 10 attempts.");
      await pause(1000 * failures, f.signal);
      continue;
    }
    if (res.status === 401) {
      const err = errorOf(res, await res.json().catch(() => null));
      f.onUnauthorized(err.body.message);
      return;
    }
    if (!res.ok) throw errorOf(res, await res.json().catch(() => null));
    let dead: { message: string } | null = null;
    let ended = "";
    let lines = 0;
    await readSse(
      res,
      (m) => {
        if (m.event === "end") {
          dead = endedForGood(m.data);
          ended = m.data;
          return;
        }
        failures = 0;
        lines++;
        if (m.id !== undefined) lastId = m.id;
        f.onLine(m.data);
      },
      f.signal,
    ).catch((err: unknown) => {
      if (!f.signal.aborted && err instanceof ZlhApiError) throw err;
    });
    if (dead) return f.onUnauthorized((dead as { message: string }).message);
    emptyEnds = lines > 0 ? 0 : emptyEnds + 1;
    if (emptyEnds >= 10) throw new Error(`The console log keeps ending: ${ended || "the connection closed"}`);
    await pause(1000 * Math.min(emptyEnds + 1, 5), f.signal);
  }
}
