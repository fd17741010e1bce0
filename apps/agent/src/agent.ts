import { ZLH_VERSION } from "@zlh/process";
import type { Logger } from "pino";
import {
  decodeControlMessage,
  encode,
  serverIdFromMarker,
  type AgentMessage,
  type ControlMessage,
  type InventoryItem,
  type LeasedOperation,
  type RefusedOperation,
  type ServerStat,
} from "@zlh/protocol";
import { Connection, gatewayUrl } from "./connection";
import type { AgentConfig } from "./config";
import { LeaseTable } from "./leases";
import { executeOperation } from "./ops/execute";
import { Outbox, type PendingResult } from "./outbox";
import { ArtifactCache } from "./placement/cache";
import { withControlPlaneFiles } from "./placement/controlPlaneFiles";
import { createArtifactSource } from "@zlh/artifacts";
import type { Runtime } from "./runtime/runtime";
import type { SessionComponent } from "./session/component";
import { Heartbeat } from "./session/heartbeat";
import { InventoryReport } from "./session/inventoryReport";
import { GamePorts } from "./session/gamePorts";
import { LiveStats } from "./session/liveStats";
import { SilenceWatchdog } from "./session/silenceWatchdog";
import { WorkRequests } from "./session/workRequests";
import { GameLiveness } from "./container/gameLiveness";
import { mapBounded } from "./runtime/mapBounded";
import { progressReporter } from "./ops/progress";
import { AgentMetrics } from "./metrics/agentMetrics";
import { cacheBytes } from "./metrics/cacheBytes";

export const AGENT_VERSION = ZLH_VERSION;
/** The hello's inventory cuts its reads inside containers short after this long (what it cut is read by the next one). */
const HELLO_INVENTORY_BUDGET_MS = 5_000;

/**
 * The host agent. It never starts work on its own: it runs only operations
 * leased to it, heartbeats the leases it is still executing every TTL/3,
 * keeps every result until acknowledged (resending it), cancels an execution
 * whose lease it lost before its next step, and after a reconnect continues
 * only the leases the control plane confirms.
 *
 * This class is the wiring: the connection's messages go to the session's
 * components (session/: heartbeat, inventory report, silence watchdog, work
 * requests), the lease table and the outbox, and leased operations to their
 * handlers (ops/execute.ts).
 */
export class Agent {
  readonly #leases = new LeaseTable();
  readonly #outbox: Outbox;
  readonly #artifacts: ArtifactCache;
  readonly #conn: Connection;
  readonly #inventoryReport = new InventoryReport();
  readonly #watchdog: SilenceWatchdog;
  readonly #work: WorkRequests;
  readonly #heartbeat: Heartbeat;
  /** Started at each welcome, stopped when the session ends. */
  readonly #components: SessionComponent[];
  /** Between the welcome and the end of the session. */
  #greeted = false;
  readonly #running = new Set<Promise<void>>();
  readonly #games: GameLiveness;
  readonly #stats: LiveStats;
  /** For the metrics: the last inventory, the last figures sent, the last heartbeat acknowledged. */
  #lastInventory: InventoryItem[] | null = null;
  #lastStats: ServerStat[] = [];
  #lastAck: number | null = null;
  readonly metrics: AgentMetrics;

  constructor(
    private readonly config: AgentConfig,
    private readonly runtime: Runtime,
    private readonly log: Logger,
  ) {
    this.#games = new GameLiveness(runtime, log);
    this.#stats = new LiveStats(runtime, new GamePorts(config.stateDir, log));
    this.#outbox = new Outbox(config.stateDir);
    const cacheSize = cacheBytes(config.stateDir);
    const artifacts = withControlPlaneFiles(createArtifactSource(config.artifactSource, config.artifactMirror), config.controlUrl, config.agentToken);
    this.#artifacts = new ArtifactCache(config.stateDir, artifacts, () => cacheSize.changed(), { maxBytes: config.cacheMaxBytes, minFreeBytes: config.cacheMinFreeBytes });
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
    this.#watchdog = new SilenceWatchdog(() => this.#conn.drop(), log);
    this.#work = new WorkRequests({
      concurrency: config.concurrency,
      busy: () => this.#leases.busy(),
      send: (max) => this.#send({ type: "lease.request", max }),
    });
    this.#heartbeat = new Heartbeat({
      inventory: (budget) => this.inventory(budget),
      renewable: () => this.#leases.renewable(),
      report: this.#inventoryReport,
      stats: async (inventory) => {
        const stats = await this.#stats.due(inventory);
        if (stats) this.#lastStats = stats;
        return stats;
      },
      send: (beat) => this.#send(beat),
      resendOlderThan: (ageMs) => {
        for (const r of this.#outbox.due(Date.now() - ageMs)) this.#send({ type: "result", ...r });
      },
      onError: (err) => this.#fault("heartbeat failed", err),
    });
    this.#components = [this.#watchdog, this.#heartbeat, this.#work];
    const leases = () => [...this.#leases.values()];
    this.metrics = new AgentMetrics({
      connected: () => this.#greeted,
      lastHeartbeatAck: () => this.#lastAck,
      executing: () => leases().filter((h) => !h.done && !h.lost).map((h) => h.op.kind),
      leasesHeld: () => leases().length,
      unacknowledged: () => this.#outbox.size,
      containers: () => this.#lastInventory,
      stats: () => this.#lastStats,
      cacheBytes: () => cacheSize.read(),
    });
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

  /**
   * Every container, and for a running one of ours on a runtime that boots
   * an OS, whether its game is alive (container/gameLiveness.ts: from the
   * host's cgroup files, a few containers at a time, so a dead game changes
   * the digest and the control plane judges it). `budget` cuts short the
   * reads inside containers (a dead game's evidence) still under way.
   */
  async inventory(budget?: AbortSignal): Promise<InventoryItem[]> {
    const cts = await this.runtime.list();
    this.#games.retain(cts.map((c) => c.vmid));
    this.#stats.retain(cts.map((c) => c.vmid));
    const items = await mapBounded(cts, 4, async (c) => {
      const item: InventoryItem = { vmid: c.vmid, state: c.state, serverId: serverIdFromMarker(c.description) };
      if (item.serverId === null) return item;
      const game = await this.#games.observe(c.vmid, c.state, Date.now(), budget).catch((err) => {
        this.log.warn({ vmid: c.vmid, err: (err as Error).message }, "could not observe the game");
        return undefined;
      });
      return game === undefined ? item : { ...item, ...game };
    });
    this.#lastInventory = items;
    return items;
  }

  async #hello(): Promise<void> {
    this.#greeted = false;
    this.#work.stop();
    this.#watchdog.arm();
    await this.#outbox.load();
    await this.#stats.load();
    // Bounded: a session's leases wait for its welcome, and a customer can make reads in its container slow.
    const inventory = await this.inventory(AbortSignal.timeout(HELLO_INVENTORY_BUDGET_MS));
    this.#send({ type: "hello", agentVersion: AGENT_VERSION, held: this.#leases.renewable(), inventory });
    this.#inventoryReport.sentInFull(inventory);
  }

  #onClose(): void {
    this.#greeted = false;
    for (const c of this.#components) c.stop();
  }

  async #onFrame(frame: string): Promise<void> {
    this.#watchdog.heard();
    const decoded = decodeControlMessage(frame);
    if (!decoded.ok) {
      this.log.warn({ code: decoded.code, type: decoded.type, reason: decoded.reason }, "control message refused");
      // It may have been the grant answering the request in flight (or a type this agent does not know): unless it
      // was plainly another message, the request is over, or no work would ever be asked for again on this session.
      if (decoded.type === null || decoded.type === "lease.grant") this.#work.answered();
      return;
    }
    const m = decoded.message;
    switch (m.type) {
      case "welcome":
        return this.#welcome(m);
      case "lease.grant":
        this.#work.answered();
        for (const refused of decoded.refused) await this.#refuseOperation(refused);
        for (const op of m.ops) this.#run(op);
        if (m.ops.length + decoded.refused.length > 0) this.#work.request();
        return;
      case "work.available":
        return this.#work.request();
      case "heartbeat.ack":
        this.#lastAck = Date.now();
        for (const opId of m.lost) this.#markLost(opId);
        if (m.inventoryWanted) this.#inventoryReport.want();
        return;
      case "result.ack":
        await this.#outbox.remove(m.opId, m.token);
        this.#leases.acknowledged(m.opId, m.token);
        this.log.info({ opId: m.opId, token: m.token, outcome: m.outcome }, "result acknowledged");
        this.#work.request();
        return;
      case "error":
        this.log.warn({ code: m.code, reason: m.message }, "control plane reported an error");
        if (m.code === "internal") this.#work.answered();
        return;
    }
  }

  /** The session is greeted: drop the leases it does not confirm, resend what waits, start the components. */
  async #welcome(m: Extract<ControlMessage, { type: "welcome" }>): Promise<void> {
    const confirmed = new Set(m.confirmed.map((c) => `${c.opId}:${c.token}`));
    for (const h of this.#leases.values()) {
      if (!h.done && !confirmed.has(`${h.op.opId}:${h.op.token}`)) this.#markLost(h.op.opId);
    }
    this.log.info({ sessionId: m.sessionId, hostId: m.hostId, confirmed: m.confirmed.length }, "session started");
    this.#greeted = true;
    for (const r of this.#outbox.due()) this.#send({ type: "result", ...r });
    for (const c of this.#components) c.start({ ttlMs: m.leaseTtlMs });
  }

  /**
   * A granted operation this agent cannot read runs nowhere: reported failed at once (not retryable: it reads no
   * better on the next attempt), so its server's other work and the client waiting on it get an answer now rather
   * than when its lease runs out. Without a readable lease it can only be logged; its lease expires as any other.
   */
  async #refuseOperation({ lease, reason }: RefusedOperation): Promise<void> {
    this.log.error({ opId: lease?.opId, token: lease?.token, reason }, "leased operation refused: it does not match the protocol");
    if (!lease) return;
    const message = `the agent could not read the operation (${reason})`.slice(0, 2000);
    await this.#deliver({ ...lease, outcome: "failed", retryable: false, error: { code: "malformed_operation", message } }, this.log);
  }

  #markLost(opId: string): void {
    const h = this.#leases.markLost(opId);
    if (h) this.log.warn({ opId, serverId: h.op.serverId, token: h.op.token }, "lease lost; cancelling its execution");
  }

  #run(op: LeasedOperation): void {
    const begun = this.#leases.begin(op);
    if (!begun) return; // this very lease is already being executed
    const { held, after } = begun;
    const log = this.log.child({ opId: op.opId, serverId: op.serverId, token: op.token, kind: op.kind });
    const task = (async () => {
      await after; // an earlier execution of this operation, cancelled, must have stopped first
      log.info({ attempt: op.attempt }, "operation started");
      this.#stats.learn(op.serverId, op.spec);
      this.#games.forget(op.spec.vmid);
      // What the operation takes from the cache stays there until it ends, however it ends, however long it runs.
      const result = await this.#artifacts.holding((artifacts) =>
        executeOperation({
          op,
          runtime: this.runtime,
          artifacts,
          log,
          signal: held.abort.signal,
          readyTimeoutMs: this.config.readyTimeoutMs,
          stopTimeoutMs: this.config.stopTimeoutMs,
          backupDir: this.config.backupDir,
          control: { url: this.config.controlUrl.replace(/^ws/, "http").replace(/\/+$/, ""), token: this.config.agentToken },
          progress: progressReporter(op, (m) => this.#send(m)),
        }),
      );
      held.done = true;
      this.#games.forget(op.spec.vmid); // what it did (a heal: the game started, or died again) is observed afresh
      this.metrics.finished(op.kind, held.lost ? "lost" : result.outcome);
      if (held.lost) {
        log.warn("operation stopped: its lease was lost (the control plane gave it to another attempt)");
        return;
      }
      await this.#deliver(result, log);
      log.info({ outcome: result.outcome }, "operation finished");
    })().catch((err) => {
      this.metrics.finished(op.kind, "crashed");
      log.error({ err: (err as Error).message }, "operation crashed; it will be redone after the lease expires");
    });
    held.task = task;
    this.#running.add(task);
    void task.finally(() => {
      this.#running.delete(task);
      this.#work.request();
    });
  }

  async #deliver(result: PendingResult, log: Logger): Promise<void> {
    const diskError = await this.#outbox.record(result);
    if (diskError) log.error({ err: diskError.message }, "could not write the result to disk; it is kept in memory and resent until acknowledged");
    this.#send({ type: "result", ...result });
  }

  /**
   * Graceful stop: take no new work, let running operations finish within
   * `graceMs`, give the unfinished ones back (a retryable failure, so the
   * control plane requeues them at once instead of waiting for expiry), wait
   * briefly for acknowledgements, then close.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.#work.drain();
    const all = Promise.allSettled([...this.#running]);
    const timedOut = await Promise.race([all.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut) {
      for (const h of this.#leases.values()) {
        if (h.done || h.lost) continue;
        this.#send({ type: "result", opId: h.op.opId, token: h.op.token, outcome: "failed", retryable: true, error: { code: "agent_shutdown", message: "the agent stopped before finishing" } });
        this.#leases.markLost(h.op.opId); // handed back: it must not act any more
      }
    }
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline && this.#outbox.size > 0 && this.#greeted) await sleep(50);
    this.#onClose();
    await this.#stats.settled(); // the ports learnt are on disk for the next run
    await this.#conn.stop();
  }
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
