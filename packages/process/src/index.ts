/**
 * How a ZeroLagHub process (control plane, agent) starts and stops under a
 * supervisor such as systemd: the same rules for both, kept in one place.
 */
import type { Logger } from "pino";
import { ConfigError } from "@zlh/domain";

/** The configuration, or a sentence about what is wrong and exit 2: a restart cannot fix it. */
export function loadConfigOrExit<T>(load: (env: NodeJS.ProcessEnv) => T): T {
  try {
    return load(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Invalid configuration: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}

/** Fail fast, but say why first: the supervisor restarts the process, which resumes from the database (and the agent from its outbox). */
export function exitOnCrash(log: Logger): void {
  for (const event of ["unhandledRejection", "uncaughtException"] as const) {
    process.on(event, (err) => {
      log.fatal({ err }, "crashed");
      process.exit(1);
    });
  }
}

/**
 * Two-stage shutdown: the first SIGINT/SIGTERM runs `stop` (graceful) and
 * exits 0 once it is done, 1 if it failed; a second signal exits 1 at once.
 */
export function stopOnSignals(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) {
        log.warn({ signal }, "second signal, exiting now");
        process.exit(1);
      }
      stopping = true;
      log.info({ signal }, "shutting down");
      stop().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, "shutdown failed");
          process.exit(1);
        },
      );
    });
  }
}
export { logOutput, type LogFormat } from "./logOutput";
export { ZLH_VERSION, printVersionAndExitIfAsked } from "./version";
export { onAncestorExit } from "./ancestors";
