import pino, { type Logger } from "pino";
import { logOutput, type LogFormat } from "@zlh/process";

/**
 * The agent's structured logs. Its secret (the agent token) travels only in
 * `config.agentToken` and the websocket's authorization header, so those are
 * redacted; `token` in an operation's fields is the lease's fencing token,
 * which is not a secret and must stay readable (it is how a result is traced
 * to the lease that produced it).
 */
export function createAgentLogger(level: string, format: LogFormat = "json", name = "agent"): Logger {
  return pino(
    {
      name,
      level,
      // ISO-8601 times, not epoch milliseconds: readable in journald and by a person.
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ["agentToken", "*.agentToken", "headers.authorization", "*.headers.authorization"], censor: "[redacted]" },
    },
    logOutput(format) ?? pino.destination({ dest: 1, sync: true }),
  );
}
