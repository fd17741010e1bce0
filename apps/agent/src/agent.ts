import type { Logger } from "pino";
import {
  decodeControlMessage,
  encode,
  serverIdFromMarker,
  type AgentMessage,
  type ControlMessage,
  type InventoryItem,
  type LeasedOperation,
} from "@zlh/protocol";
import { Connection, gatewayUrl } from "./connection";
import type { AgentConfig } from "./config";
import { executeOperation } from "./ops/execute";
import { Outbox, type PendingResult } from "./outbox";
import { ArtifactCache } from "./placement/cache";
import { createArtifactSource } from "@zlh/artifacts";
import type { Runtime } from "./runtime/runtime";

export const AGENT_VERSION = "0.1.0";

interface Held {
  op: LeasedOperation;
  /** The control plane said this lease is no longer ours: finish quietly, never act on it again. */
  lost: boolean;
  done: boolean;
}

/**
 * The host agent. It never starts work on its own: it runs only operations
 * leased to it, heartbeats those leases every TTL/3, keeps every result on
 * disk until acknowledged, and after a reconnect continues only the leases
 * the control plane confirms.
 */
export class Agent {
  readonly #held = new Map<string, Held>();
  readonly #outbox: Outbox;
  readonly #artifacts: ArtifactCache;
  readonly #conn: Connection;
  #ttlMs = 15_000;
  #heartbeat: NodeJS.Timeout | null = null;
  #poll: NodeJS.Timeout | null = null;
  #greeted = false;
  #leaseRequested = false;
  /** Last time anything arrived from the control plane (for the silence watchdog). */
  #heardAt = 0;
  #watchdog: NodeJS.Timeout | null = null;
  #draining = false;
  readonly #running = new Set<Promise<void>>();

  constructor(
    private readonly config: AgentConfig,
    private readonly runtime: Runtime,
    private readonly log: Logger,
  ) {
    this.#outbox = new Outbox(config.stateDir);
    this.#artifacts = new ArtifactCache(config.stateDir, createArtifactSource(config.artifactSource, config.artifactMirror));
    this.#conn = new Connection(
      gatewayUrl(config.controlUrl),
      config.agentToken,
      {
        onOpen: () => void this.#hello().catch((err) => this.#fault("hello failed", err)),
        onFrame: (f) => void this.#onFrame(f).catch((err) => this.#fault("control message failed", err)),
        onClose: () => this.#onClose(),
      },
      log,
    );
  }

  start(): void {
    this.#conn.start();
  }

  /** A failure in handling the connection must never crash the agent: log it and start a fresh session. */
  #fault(msg: string, err: unknown): void {
    this.log.error({ err: (err as Error).message }, msg);
    this.#conn.drop();
  }

  /** For fault injection: drop the socket as a network fault would. */
  dropConnection(): void {
    this.#conn.drop();
  }

  #send(message: Parameters<typeof encode<AgentMessage>>[0]): boolean {
    return this.#conn.send(encode<AgentMessage>(message));
  }

  async inventory(): Promise<InventoryItem[]> {
    const cts = await this.runtime.list();
    return cts.map((c) => ({ vmid: c.vmid, state: c.state, serverId: serverIdFromMarker(c.description) }));
  }

  #heldLeases() {
    return [...this.#held.values()].filter((h) => !h.lost).map((h) => ({ opId: h.op.opId, token: h.op.token }));
  }

  async #hello(): Promise<void> {
    this.#greeted = false;
    this.#leaseRequested = false;
    this.#heardAt = Date.now();
    // A socket that stays open while nobody answers (a control plane stuck on
    // its database, a half-open TCP connection) must not hold the agent
    // forever: heartbeats are acknowledged every TTL/3, so silence for a TTL
    // (or no welcome within 10 s) means the session is dead; reconnect.
    if (this.#watchdog) clearInterval(this.#watchdog);
    this.#watchdog = setInterval(() => {
      const limit = this.#greeted ? Math.max(this.#ttlMs, 1000) : 10_000;
      if (Date.now() - this.#heardAt > limit) {
        this.log.warn({ silentMs: Date.now() - this.#heardAt }, "control plane silent; reconnecting");
        this.#conn.drop();
      }
    }, 250);
    this.#send({ type: "hello", agentVersion: AGENT_VERSION, held: this.#heldLeases(), inventory: await this.inventory() });
  }

  #onClose(): void {
    this.#greeted = false;
    for (const t of [this.#heartbeat, this.#poll, this.#watchdog]) if (t) clearInterval(t);
    this.#heartbeat = this.#poll = this.#watchdog = null;
  }

  async #onFrame(frame: string): Promise<void> {
    this.#heardAt = Date.now();
    const decoded = decodeControlMessage(frame);
    if (!decoded.ok) {
      this.log.warn({ code: decoded.code, reason: decoded.reason }, "control message refused");
      return;
    }
    const m = decoded.message;
    switch (m.type) {
      case "welcome":
        return this.#welcome(m);
      case "lease.grant":
        this.#leaseRequested = false;
        for (const op of m.ops) this.#run(op);
        if (m.ops.length > 0) this.#requestWork();
        return;
      case "work.available":
        return this.#requestWork();
      case "heartbeat.ack":
        for (const opId of m.lost) this.#markLost(opId);
        return;
      case "result.ack":
        await this.#outbox.remove(m.opId, m.token);
        if (this.#held.get(m.opId)?.op.token === m.token) this.#held.delete(m.opId);
        this.log.info({ opId: m.opId, token: m.token, outcome: m.outcome }, "result acknowledged");
        this.#requestWork();
        return;
      case "error":
        this.log.warn({ code: m.code, reason: m.message }, "control plane reported an error");
        if (m.code === "internal") this.#leaseRequested = false;
        return;
    }
  }

  async #welcome(m: Extract<ControlMessage, { type: "welcome" }>): Promise<void> {
    this.#ttlMs = m.leaseTtlMs;
    for (const t of [this.#heartbeat, this.#poll]) if (t) clearInterval(t);
    const confirmed = new Set(m.confirmed.map((c) => `${c.opId}:${c.token}`));
    for (const h of this.#held.values()) {
      if (!h.done && !confirmed.has(`${h.op.opId}:${h.op.token}`)) this.#markLost(h.op.opId);
    }
    this.#greeted = true;
    this.log.info({ sessionId: m.sessionId, hostId: m.hostId, confirmed: m.confirmed.length }, "session started");
    for (const r of await this.#outbox.all()) this.#send({ type: "result", ...r });
    this.#heartbeat = setInterval(() => void this.#beat().catch((err) => this.#fault("heartbeat failed", err)), Math.max(50, Math.floor(this.#ttlMs / 3)));
    // Notifications can be lost (a control plane restarting); asking now and then bounds the delay.
    this.#poll = setInterval(() => this.#requestWork(), Math.max(200, this.#ttlMs));
    this.#requestWork();
  }

  async #beat(): Promise<void> {
    if (!this.#greeted) return;
    this.#send({ type: "heartbeat", held: this.#heldLeases(), inventory: await this.inventory() });
  }

  #markLost(opId: string): void {
    const h = this.#held.get(opId);
    if (!h || h.lost) return;
    h.lost = true;
    this.log.warn({ opId, serverId: h.op.serverId, token: h.op.token }, "lease lost");
  }

  #requestWork(): void {
    if (!this.#greeted || this.#draining || this.#leaseRequested) return;
    const free = this.config.concurrency - [...this.#held.values()].filter((h) => !h.done).length;
    if (free <= 0) return;
    this.#leaseRequested = this.#send({ type: "lease.request", max: free });
  }

  #run(op: LeasedOperation): void {
    if (this.#held.has(op.opId) && this.#held.get(op.opId)!.op.token === op.token) return;
    const held: Held = { op, lost: false, done: false };
    this.#held.set(op.opId, held);
    const log = this.log.child({ opId: op.opId, serverId: op.serverId, token: op.token, kind: op.kind });
    log.info({ attempt: op.attempt }, "operation started");
    const task = (async () => {
      const result = await executeOperation({
        op,
        runtime: this.runtime,
        artifacts: this.#artifacts,
        log,
        readyTimeoutMs: this.config.readyTimeoutMs,
        stopTimeoutMs: this.config.stopTimeoutMs,
      });
      held.done = true;
      await this.#report(result);
      log.info({ outcome: result.outcome }, "operation finished");
    })().catch((err) => log.error({ err: (err as Error).message }, "could not record the result; it will be redone after the lease expires"));
    this.#running.add(task);
    void task.finally(() => {
      this.#running.delete(task);
      this.#requestWork();
    });
  }

  async #report(result: PendingResult): Promise<void> {
    await this.#outbox.put(result);
    this.#send({ type: "result", ...result });
  }

  /**
   * Graceful stop: take no new work, let running operations finish within
   * `graceMs`, give the unfinished ones back (a retryable failure, so the
   * control plane requeues them at once instead of waiting for expiry), wait
   * briefly for acknowledgements, then close.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.#draining = true;
    const all = Promise.allSettled([...this.#running]);
    const timedOut = await Promise.race([all.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut) {
      for (const h of this.#held.values()) {
        if (h.done || h.lost) continue;
        this.#send({ type: "result", opId: h.op.opId, token: h.op.token, outcome: "failed", retryable: true, error: { code: "agent_shutdown", message: "the agent stopped before finishing" } });
      }
    }
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline && (await this.#outbox.all()).length > 0 && this.#greeted) await sleep(50);
    this.#onClose();
    await this.#conn.stop();
  }
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
