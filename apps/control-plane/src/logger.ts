import pino, { type Logger } from "pino";

/** Structured logs; secrets never reach them (agent/API tokens travel only in these headers). */
export function createLogger(level: string, name: string): Logger {
  return pino({
    name,
    level,
    redact: { paths: ["req.headers.authorization", "headers.authorization", "*.agentToken", "*.token"], censor: "[redacted]" },
  });
}
