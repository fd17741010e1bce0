import WebSocket from "ws";
import { PROTOCOL_VERSION, type ControlMessage } from "@zlh/protocol";

/**
 * A hand-driven agent connection for protocol tests: sends exactly the frames
 * a test writes (valid or not) and lets it await the control plane's replies.
 */
export class RawAgent {
  readonly received: ControlMessage[] = [];
  #waiters: { type: string; resolve: (m: ControlMessage) => void }[] = [];
  closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data: WebSocket.RawData) => {
      const m = JSON.parse(data.toString()) as ControlMessage;
      const i = this.#waiters.findIndex((w) => w.type === m.type);
      if (i >= 0) this.#waiters.splice(i, 1)[0]!.resolve(m);
      else this.received.push(m);
    });
    this.closed = new Promise((r) => ws.once("close", (code, reason) => r({ code, reason: reason.toString() })));
  }

  static connect(baseUrl: string, token: string): Promise<RawAgent> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/v1/agent`, { headers: { authorization: `Bearer ${token}` } });
      const agent = new RawAgent(ws);
      ws.once("open", () => resolve(agent));
      ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once("error", reject);
    });
  }

  sendRaw(frame: string): void {
    this.ws.send(frame);
  }

  send(message: Record<string, unknown>): void {
    this.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, ...message }));
  }

  next<T extends ControlMessage["type"]>(type: T, timeoutMs = 5000): Promise<Extract<ControlMessage, { type: T }>> {
    const i = this.received.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(this.received.splice(i, 1)[0] as Extract<ControlMessage, { type: T }>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<ControlMessage, { type: T }>);
        },
      });
    });
  }

  /** hello + welcome. */
  async greet(held: { opId: string; token: string }[] = []) {
    this.send({ type: "hello", agentVersion: "test", held, inventory: [] });
    return this.next("welcome");
  }

  async lease(max = 10) {
    this.send({ type: "lease.request", max });
    return (await this.next("lease.grant")).ops;
  }

  async report(opId: string, token: string, outcome: "succeeded" | "failed" = "succeeded", extra: Record<string, unknown> = {}) {
    this.send({ type: "result", opId, token, outcome, ...extra });
    return this.next("result.ack");
  }

  close(): void {
    this.ws.close();
  }
}
