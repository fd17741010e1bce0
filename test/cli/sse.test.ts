import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { readSse } from "../../apps/cli/src/sse";

const read = async (chunks: string[]) => {
  const out = [];
  for await (const m of readSse(Readable.from(chunks.map((c) => Buffer.from(c))))) out.push(m);
  return out;
};

/** The CLI's server-sent-events reader, framed as the WHATWG spec frames them (what the control plane's streams send). */
describe("readSse", () => {
  it("frames messages at blank lines, across chunk boundaries and any line ending, and keeps the last id", async () => {
    const msgs = await read(["id: 7\ndata: {\"a\"", ":1}\n\n: a comment\r\ndata: one\r\ndata: two\r\n\r", "\nevent: end\ndata: {\"reason\":\"max_duration\"}\n\n"]);
    expect(msgs).toEqual([
      { id: "7", event: "message", data: '{"a":1}' },
      { id: "7", event: "message", data: "one\ntwo" },
      { id: "7", event: "end", data: '{"reason":"max_duration"}' },
    ]);
  });

  it("drops a message without data and a trailing message the stream cut before its blank line", async () => {
    expect(await read(["event: ping\n\ndata:no space\n\ndata: cut"])).toEqual([{ id: null, event: "message", data: "no space" }]);
  });
});
