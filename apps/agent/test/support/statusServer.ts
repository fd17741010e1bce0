import { createServer, type Server, type Socket } from "node:net";
import { varint } from "@zlh/testing";

/** A status response packet as a server sends it: length, id 0, the JSON as a length-prefixed string. */
function statusPacket(json: string): Buffer {
  const text = Buffer.from(json, "utf8");
  const body = Buffer.concat([varint(0), varint(text.length), text]);
  return Buffer.concat([varint(body.length), body]);
}

/** A game port on loopback that answers every status request with `reply` (null: accepts and never answers); `close` stops it. */
export async function statusServer(reply: string | null): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on("error", () => {});
    s.once("data", () => reply !== null && s.write(statusPacket(reply)));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
