import type { Logger } from "pino";
import type { LeasedOperation } from "@zlh/protocol";
import type { ArtifactCache } from "../placement/cache";
import type { Runtime } from "../runtime/runtime";

export interface OpContext {
  op: LeasedOperation;
  runtime: Runtime;
  /** The host's verified artifact cache, for placing manifest files. */
  artifacts: ArtifactCache;
  log: Logger;
  /** How long to wait for the game port to answer a status ping after start. */
  readyTimeoutMs: number;
  /** Graceful stop window before a forced stop. */
  stopTimeoutMs: number;
}

export type OpOutcome = Record<string, unknown>;
