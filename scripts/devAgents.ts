import type { Logger } from "pino";

export interface DevAgents {
  stop(): Promise<void>;
}

/** Until the agent exists, enrolled hosts simply have no agent (allowed by the foundation issue). */
export async function startDevAgents(
  _controlUrl: string,
  _hosts: { name: string; token: string }[],
  _dataDir: string,
  _log: Logger,
): Promise<DevAgents> {
  return { stop: async () => {} };
}
