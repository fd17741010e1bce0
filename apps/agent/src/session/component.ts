/**
 * A part of the agent's session with a lifecycle of its own (compare Nomad's
 * alloc-runner hooks): `start` when a session is greeted (the control plane's
 * welcome, with its lease TTL), `stop` when the session ends. Each is
 * idempotent: a restart of the session calls `start` again.
 */
export interface SessionComponent {
  start(session: { ttlMs: number }): void;
  stop(): void;
}
