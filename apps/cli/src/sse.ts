import type { Readable } from "node:stream";

export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

/** Server-sent events as the WHATWG spec frames them: fields up to a blank line; `data` lines joined by newlines. */
export async function* readSse(res: Readable): AsyncGenerator<SseMessage> {
  let buffer = "";
  let msg: { id: string | null; event: string; data: string[] } = { id: null, event: "message", data: [] };
  res.setEncoding("utf8");
  for await (const chunk of res) {
    buffer += chunk as string;
    let nl: number;
    while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer.startsWith("\r\n", nl) ? 2 : 1));
      if (line === "") {
        if (msg.data.length > 0) yield { id: msg.id, event: msg.event, data: msg.data.join("\n") };
        msg = { id: msg.id, event: "message", data: [] };
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "data") msg.data.push(value);
      else if (field === "event") msg.event = value;
      else if (field === "id" && !value.includes("\0")) msg.id = value;
    }
    // A line can't grow without bound: the API's messages are small (an event, a log line).
    if (buffer.length > 1024 * 1024) throw new Error("a server-sent event line longer than 1 MiB");
  }
}
