import type { WebSocket } from "ws";
import type { FastifyBaseLogger } from "fastify";
import { addJob, endAgentSession, reclaimLeases, recordHeartbeat, recordProgress, recordServerStats, type Db, type HeartbeatOutcome } from "@zlh/db";
import { RECONCILE_HOST_JOB } from "../jobs/jobNames";
import { decodeAgentMessage, encode, inventoryDigest, type AgentMessage, type ControlMessage } from "@zlh/protocol";
import { applyAgentResult } from "../broker/applyResult";
import { grantLeases } from "../broker/grantLeases";
import { fitInventory, fitResult } from "./fitAgentEvidence";
import { FrameQueue } from "./frameQueue";
import type { Metrics } from "../metrics/metrics";
import type { SecretsKeyring } from "../secrets/sealedSecrets";

/** The session could not start because the agent's token stopped being valid while it connected. */
export class SessionRefusedError extends Error {}

export interface SessionDeps {
  db: Db;
  secretsKeys: SecretsKeyring;
  leaseTtlMs: number;
  log: FastifyBaseLogger;
  metrics: Metrics;
  backupRetention: { keep: number; maxAgeDays: number };
}

/**
 * One agent connection. Frames are handled strictly in arrival order (a
 * bounded queue, frameQueue.ts), so a result is never overtaken by a later heartbeat. Every
 * database call names the session: once a newer session exists, this one's
 * leases, heartbeats and reclaims are refused by the database itself.
 */
export class AgentSession {
  readonly #queue: FrameQueue;
  #greeted = false;
  #closed = false;
  #backoffTimer: NodeJS.Timeout | null = null;
  readonly log: FastifyBaseLogger;
  /** sha256 of the token the agent connected with: a rotation's grace ending closes the sessions of the replaced one. */
  tokenHash = "";

  constructor(
    readonly socket: WebSocket,
    readonly hostId: string,
    readonly sessionId: string,
    private readonly deps: SessionDeps,
    /** Recording the session in the database; no frame is handled before it is done. */
    started: Promise<void>,
  ) {
    this.log = deps.log.child({ hostId, sessionId });
    const ready = started.catch((err) => {
      if (err instanceof SessionRefusedError) {
        this.log.warn({ reason: err.message }, "agent session refused");
        this.close(4003, err.message);
        return;
      }
      this.log.error({ err }, "could not start agent session");
      this.close(1011, "could not start session");
    });
    this.#queue = new FrameQueue(ready, socket);
    socket.on("message", (data: Buffer, isBinary: boolean) => {
      const raw = isBinary ? "" : data.toString();
      this.#queue.push(() => this.#handle(raw));
    });
  }

  send(message: Parameters<typeof encode<ControlMessage>>[0]): void {
    if (!this.#closed && this.socket.readyState === this.socket.OPEN) this.socket.send(encode<ControlMessage>(message));
  }

  nudge(): void {
    if (this.#greeted) this.send({ type: "work.available" });
  }

  /**
   * A requeued operation waits out its retry backoff (not_before), and when it
   * ends nothing else tells the agent, which asked while it was still waiting:
   * one timer per session nudges it then (the agent asks again; the grant is
   * decided by the database as always).
   */
  #nudgeWhenBackoffEnds(at: Date | null): void {
    if (this.#backoffTimer) clearTimeout(this.#backoffTimer);
    this.#backoffTimer = null;
    if (!at || this.#closed) return;
    const delay = Math.min(60_000, Math.max(0, at.getTime() - Date.now()) + 50);
    this.#backoffTimer = setTimeout(() => {
      this.#backoffTimer = null;
      this.nudge();
    }, delay);
    this.#backoffTimer.unref();
  }

  supersede(): void {
    this.log.info("agent session superseded");
    this.close(4001, "superseded by a newer session for this host");
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#backoffTimer) clearTimeout(this.#backoffTimer);
    this.socket.close(code, reason);
  }

  /**
   * Called once the socket is gone. Frames the agent sent before it closed
   * are still handled first: an agent that stops hands its leases back and
   * closes, and a control plane behind on its queue must not drop those
   * results (the lease would then wait out its TTL). A late result is safe:
   * the database fences it by its lease token.
   */
  async ended(): Promise<void> {
    await this.#queue.drained();
    this.#closed = true;
    if (this.#backoffTimer) clearTimeout(this.#backoffTimer);
    await endAgentSession(this.deps.db, this.hostId, this.sessionId).catch((err) =>
      this.log.error({ err }, "could not record session end"),
    );
  }

  #logFreed(outcome: HeartbeatOutcome | null): void {
    if (outcome?.freed.length) this.log.info({ vmids: outcome.freed }, "released VMIDs confirmed absent");
  }

  async #handle(raw: string): Promise<void> {
    if (this.#closed) return;
    const decoded = decodeAgentMessage(raw);
    if (!decoded.ok) {
      this.log.warn({ code: decoded.code, reason: decoded.reason }, "agent message refused");
      this.send({ type: "error", code: decoded.code, message: decoded.reason });
      return;
    }
    // Figures out of range are left out alone: the beat's renewals and inventory still count.
    if (decoded.refused.length > 0) this.log.warn({ refused: decoded.refused.slice(0, 10), count: decoded.refused.length }, "live figures refused");
    try {
      await this.#dispatch(decoded.message);
    } catch (err) {
      this.log.error({ err, type: decoded.message.type }, "agent message failed");
      this.send({ type: "error", code: "internal", message: `could not handle ${decoded.message.type}; retry` });
    }
  }

  async #dispatch(m: AgentMessage): Promise<void> {
    const { db, leaseTtlMs } = this.deps;
    if (m.type !== "hello" && !this.#greeted) {
      this.send({ type: "error", code: "hello_required", message: "the first message of a session must be hello" });
      return;
    }
    switch (m.type) {
      case "hello": {
        const confirmed = await reclaimLeases(db, this.hostId, this.sessionId, m.held, leaseTtlMs);
        // The digest is of what the agent sent, as the agent computes it for the beats that confirm it; what is stored is fitted.
        this.#logFreed(await recordHeartbeat(db, { hostId: this.hostId, sessionId: this.sessionId, held: [], inventory: fitInventory(m.inventory), ttlMs: leaseTtlMs, digest: inventoryDigest(m.inventory) }));
        // Every (re)connect is a moment to compare what the host has with what it should have.
        await addJob(db, RECONCILE_HOST_JOB, { hostId: this.hostId }, { jobKey: `reconcile:${this.hostId}`, maxAttempts: 3 });
        this.#greeted = true;
        this.log.info({ held: m.held.length, confirmed: confirmed.length, agentVersion: m.agentVersion }, "agent greeted");
        this.send({ type: "welcome", sessionId: this.sessionId, hostId: this.hostId, leaseTtlMs, confirmed });
        return;
      }
      case "lease.request": {
        const { ops, nextBackoffEnd } = await grantLeases(db, { hostId: this.hostId, sessionId: this.sessionId, max: m.max, ttlMs: leaseTtlMs, secretsKeys: this.deps.secretsKeys, metrics: this.deps.metrics });
        for (const op of ops) {
          this.log.info({ opId: op.opId, serverId: op.serverId, token: op.token, attempt: op.attempt, kind: op.kind }, "lease granted");
        }
        this.send({ type: "lease.grant", ops });
        this.#nudgeWhenBackoffEnds(nextBackoffEnd);
        return;
      }
      case "heartbeat": {
        const digest = m.inventory ? inventoryDigest(m.inventory) : m.inventoryDigest;
        const outcome = await recordHeartbeat(db, { hostId: this.hostId, sessionId: this.sessionId, held: m.held, inventory: fitInventory(m.inventory), ttlMs: leaseTtlMs, digest });
        if (outcome === null) return this.supersede();
        this.#logFreed(outcome);
        const kept = new Set(outcome.renewed);
        this.send({
          type: "heartbeat.ack",
          renewed: outcome.renewed,
          lost: m.held.map((h) => h.opId).filter((id) => !kept.has(id)),
          ...(outcome.inventoryWanted ? { inventoryWanted: true } : {}),
        });
        // After the ack, on their own: figures are only shown, and figures that cannot be stored must not cost
        // the host its renewals (every lease on it would be lost).
        if (m.stats) await recordServerStats(db, this.hostId, m.stats).catch((err) => this.log.error({ err, hostId: this.hostId }, "could not store the live figures"));
        return;
      }
      case "progress": {
        // Never answered and never a status: a stale lease's report is dropped (the database decides).
        const kept = await recordProgress(db, this.hostId, m);
        if (!kept) this.log.debug({ opId: m.opId, token: m.token, phase: m.phase }, "progress of a lease not current dropped");
        return;
      }
      case "result": {
        const verdict = await applyAgentResult(db, this.hostId, fitResult(m), { backupRetention: this.deps.backupRetention });
        this.deps.metrics.results.inc({ verdict: verdict.verdict });
        if (verdict.verdict === "applied") this.deps.metrics.operationDuration.observe({ kind: verdict.op.kind, status: verdict.op.status }, verdict.op.age_ms / 1000);
        const fields = { opId: m.opId, token: m.token, outcome: m.outcome, verdict: verdict.verdict };
        if (verdict.verdict === "rejected") this.log.warn({ ...fields, currentToken: verdict.currentToken }, "stale result rejected");
        else this.log.info(fields, "result recorded");
        this.send({
          type: "result.ack",
          opId: m.opId,
          token: m.token,
          outcome: verdict.verdict === "applied" ? "applied" : verdict.verdict,
        });
        return;
      }
    }
  }
}
