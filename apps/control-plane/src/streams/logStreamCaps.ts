import type { LogStreamCaps } from "@zlh/db";
import type { ControlPlaneConfig } from "../config";

/**
 * The caps of console-log streams, and when a stream's row counts as left
 * behind. A live stream touches its row at least once per read: a read is
 * answered or given up within ZLH_COMMAND_TIMEOUT_MS, and the next starts
 * one poll later; twice that (at least 30 s) untouched, its stream is gone.
 */
export function logStreamCaps(config: Pick<ControlPlaneConfig, "streams" | "commandTimeoutMs" | "eventStream">): LogStreamCaps {
  return {
    perClient: config.streams.logsPerClient,
    perServer: config.streams.logsPerServer,
    staleAfterMs: Math.max(30_000, 2 * (config.commandTimeoutMs + config.eventStream.pollMs)),
  };
}
