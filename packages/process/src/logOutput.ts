import type { DestinationStream } from "pino";
import pretty from "pino-pretty";

export type LogFormat = "json" | "pretty";

/**
 * Where a process's pino logs go: stdout as JSON lines (for journald and a
 * log shipper; the default), or, with LOG_FORMAT=pretty, readable lines with
 * the local time and the process's name as a prefix (`pnpm dev` runs three
 * processes into one terminal). Written synchronously, so nothing is lost
 * when a process exits. Colours follow the terminal (none into a pipe, or with NO_COLOR).
 */
export function logOutput(format: LogFormat): DestinationStream | undefined {
  if (format !== "pretty") return undefined;
  return pretty({ sync: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" });
}
