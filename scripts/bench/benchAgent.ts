import WebSocket from "ws";
import { decodeControlMessage, encode, inventoryDigest, type AgentMessage, type InventoryItem } from "@zlh/protocol";

/**
 * A protocol-level agent for the benchmark: leases whatever it is told
 * exists, records when each lease arrived, and reports success at once (no
 * container work), so the numbers are the control plane's alone.
 */
export class BenchAgent {
  readonly leasedAt = new Map<string, number>();
  #requested = false;
  #beat: NodeJS.Timeout | null = null;
  #poll: NodeJS.Timeout | null = null;

  private constructor(private readonly ws: WebSocket) {}

  /**
   * `inventory`: the containers in every heartbeat's inventory (a number:
   * that many unmanaged ones). `digest`: send it
   * as the real agent does (the list once, then its digest while unchanged);
   * otherwise the full list every time (the scheme before digests).
   * `pollMs`: ask for work that often whatever happens, as the real agent
   * does every lease TTL (most such asks find nothing).
   */
  static async connect(baseUrl: string, token: string, opts: { autoLease: boolean; heartbeatMs?: number; pollMs?: number; inventory?: number | InventoryItem[]; digest?: boolean }): Promise<BenchAgent> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/v1/agent`, { headers: { authorization: `Bearer ${token}` } });
    const agent = new BenchAgent(ws);
    const inventory: InventoryItem[] = Array.isArray(opts.inventory)
      ? opts.inventory
      : Array.from({ length: opts.inventory ?? 0 }, (_, i) => ({ vmid: 100 + i, state: "running" as const, serverId: null }));
    await new Promise<void>((resolve, reject) => {
      ws.once("error", reject);
      ws.on("message", (data: WebSocket.RawData) => {
        const d = decodeControlMessage(data.toString());
        if (!d.ok) return;
        const m = d.message;
        if (m.type === "welcome") {
          resolve();
          const digest = inventoryDigest(inventory);
          const beat = opts.digest ? { type: "heartbeat" as const, held: [], inventoryDigest: digest } : { type: "heartbeat" as const, held: [], inventory };
          if (opts.heartbeatMs) agent.#beat = setInterval(() => agent.#send(beat), opts.heartbeatMs);
          if (opts.autoLease) agent.#ask();
          if (opts.pollMs) agent.#poll = setInterval(() => agent.#ask(), opts.pollMs);
        } else if (m.type === "work.available" && opts.autoLease) agent.#ask();
        else if (m.type === "lease.grant") {
          agent.#requested = false;
          const now = performance.now();
          for (const op of m.ops) {
            agent.leasedAt.set(op.serverId, now);
            agent.#send({ type: "result", opId: op.opId, token: op.token, outcome: "succeeded", data: {} });
          }
          if (m.ops.length) agent.#ask();
        }
      });
      ws.once("open", () => agent.#send({ type: "hello", agentVersion: "bench", held: [], inventory }));
    });
    return agent;
  }

  #send(m: Parameters<typeof encode<AgentMessage>>[0]) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encode<AgentMessage>(m));
  }

  #ask() {
    if (this.#requested) return;
    this.#requested = true;
    this.#send({ type: "lease.request", max: 16 });
  }

  close() {
    if (this.#beat) clearInterval(this.#beat);
    if (this.#poll) clearInterval(this.#poll);
    this.ws.close();
  }
}
