import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { waitUntilAnswering } from "../src/ops/readiness";
import { pingServer } from "../src/slp/ping";

/**
 * The readiness ping talks to a process the customer controls: whatever it
 * sends, the ping ends by its deadline and buffers a bounded amount.
 */
describe("status ping against a hostile server", () => {
  let server: Server;
  const sockets = new Set<Socket>();
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
    await new Promise((r) => server.close(r));
  });

  async function listen(onConnection: (s: Socket) => void): Promise<number> {
    server = createServer((s) => {
      sockets.add(s);
      s.on("error", () => {});
      onConnection(s);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return (server.address() as { port: number }).port;
  }

  it("gives up at its overall deadline on a server that trickles a byte every 50 ms (an idle timeout never fires)", async () => {
    const port = await listen((s) => {
      s.write(Buffer.from([0xff, 0x7f])); // a 16383-byte packet follows...
      const timer = setInterval(() => (s.destroyed ? clearInterval(timer) : s.write("x")), 50);
      s.on("close", () => clearInterval(timer));
    });
    await expect(pingServer("127.0.0.1", port, 400)).rejects.toThrow(/within 400 ms/);
    await expect(waitUntilAnswering("127.0.0.1", { gamePort: port, rconPort: 1, rconPassword: "pw" }, 600)).rejects.toMatchObject({ code: "not_ready" });
  });

  it("refuses a reply announced larger than the limit without reading it", async () => {
    const port = await listen((s) => s.write(Buffer.from([0x80, 0x80, 0x80, 0x01]))); // VarInt 2,097,152
    await expect(pingServer("127.0.0.1", port, 5000)).rejects.toThrow(/over the 131072-byte limit/);
  });
});
