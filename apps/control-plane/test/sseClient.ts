/** A real HTTP client on an SSE route: the status, the text so far, and whether the server ended the response. */
export interface OpenStream {
  status: number;
  body: any;
  text(): string;
  /** Resolves once the text satisfies `pred`; rejects if the response ends first. */
  until(pred: (text: string) => boolean): Promise<string>;
  /** Resolves with the whole text once the server ends the response. */
  ended: Promise<string>;
  close(): void;
}

export async function openStream(url: string, token: string, headers: Record<string, string> = {}): Promise<OpenStream> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, ...headers }, signal: abort.signal });
  if (!(res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, text: () => text, until: () => Promise.reject(new Error("not a stream")), ended: Promise.resolve(text), close() {} };
  }
  let text = "";
  const waiters: { pred: (t: string) => boolean; resolve: (t: string) => void; reject: (e: Error) => void }[] = [];
  const settle = () => {
    for (const w of [...waiters]) if (w.pred(text)) waiters.splice(waiters.indexOf(w), 1) && w.resolve(text);
  };
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const ended = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        settle();
      }
    } catch {
      // closed by us
    }
    for (const w of waiters.splice(0)) w.reject(new Error(`the stream ended first: ${text.slice(-500)}`));
    return text;
  })();
  return {
    status: res.status,
    body: undefined,
    text: () => text,
    until(pred) {
      if (pred(text)) return Promise.resolve(text);
      return new Promise((resolve, reject) => waiters.push({ pred, resolve, reject }));
    },
    ended,
    close: () => abort.abort(),
  };
}

/** The reason of the stream's final `event: end` message, if it has one. */
export function endReason(text: string): string | null {
  const m = /^event: end\ndata: (.*)$/m.exec(text);
  return m ? (JSON.parse(m[1]!) as { reason: string }).reason : null;
}
