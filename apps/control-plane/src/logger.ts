import pino, { type Logger } from "pino";
import { logOutput, type LogFormat } from "@zlh/process";

/** Structured logs; secrets never reach them (agent/API tokens travel only in these headers). */
export function createLogger(level: string, name: string, format: LogFormat = "json"): Logger {
  return pino(
    {
      name,
      level,
      // ISO-8601 times, not epoch milliseconds: readable in journald and by a person.
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ["req.headers.authorization", "headers.authorization", "*.agentToken", "*.token"], censor: "[redacted]" },
    },
    logOutput(format) ?? pino.destination({ dest: 1, sync: true }),
  );
}
