import { createParser, type EventSourceMessage } from "eventsource-parser";

export type { EventSourceMessage };

/**
 * Reads a server-sent-events body (a fetch Response, so the Authorization
 * header could be sent: EventSource cannot) and hands over each message
 * until the body ends or `signal` aborts.
 */
export async function readSse(res: Response, onMessage: (m: EventSourceMessage) => void, signal: AbortSignal): Promise<void> {
  if (!res.body) return;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const parser = createParser({ onEvent: onMessage });
  const stop = () => void reader.cancel().catch(() => {});
  signal.addEventListener("abort", stop, { once: true });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done || signal.aborted) return;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  } finally {
    signal.removeEventListener("abort", stop);
  }
}

/** Why the control plane ends a stream for good: the token no longer allows it. */
export function endedForGood(data: string): { message: string } | null {
  try {
    const end = JSON.parse(data) as { reason?: string; message?: string };
    if (end.reason === "token_revoked" || end.reason === "token_unverified") return { message: end.message ?? "The token was revoked." };
  } catch {
    // An end without a reason is a plain end; it is reconnected.
  }
  return null;
}

/** A wait that ends early (and quietly) when the page leaves. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}
