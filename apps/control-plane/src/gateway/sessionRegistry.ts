import type { AgentSession } from "./agentSession";

/**
 * This process's live agent sessions, one per host. A host's new session
 * closes the old one here; sessions on other processes are closed through the
 * `zlh_session` notification (see notifications.ts).
 */
export class SessionRegistry {
  readonly #byHost = new Map<string, AgentSession>();

  add(session: AgentSession): void {
    const old = this.#byHost.get(session.hostId);
    this.#byHost.set(session.hostId, session);
    if (old && old !== session) old.supersede();
  }

  remove(session: AgentSession): void {
    if (this.#byHost.get(session.hostId) === session) this.#byHost.delete(session.hostId);
  }

  /** Another process (or this one) started `sessionId` for the host: any other local session is stale. */
  sessionStarted(hostId: string, sessionId: string): void {
    const local = this.#byHost.get(hostId);
    if (local && local.sessionId !== sessionId) local.supersede();
  }

  /** A rotated token's grace ended: the host's local session, if it was opened with that token, ends. */
  tokenExpired(hostId: string, tokenHash: string): void {
    const local = this.#byHost.get(hostId);
    if (local && local.tokenHash === tokenHash) {
      local.log.info("agent token's grace after a rotation ended");
      local.close(4003, "the agent token was rotated and its grace period ended");
    }
  }

  workAvailable(hostId: string): void {
    this.#byHost.get(hostId)?.nudge();
  }

  get size(): number {
    return this.#byHost.size;
  }

  closeAll(): void {
    for (const s of this.#byHost.values()) s.close(1001, "control plane shutting down");
    this.#byHost.clear();
  }
}
