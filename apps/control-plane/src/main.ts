/**
 * `pnpm start:control-plane`: loads the configuration, starts, and stops on
 * signal. First SIGINT/SIGTERM: graceful (stop listening, finish requests and
 * jobs, close the database). Second: exit at once.
 */
import { ConfigError } from "@zlh/domain";
import { loadConfig } from "./config";
import { startControlPlane } from "./controlPlane";
import { createLogger } from "./logger";

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`Invalid configuration: ${err.message}`);
    process.exit(2);
  }
  throw err;
}
const log = createLogger(config.logLevel, "control-plane");
// Fail fast, but say why first: the supervisor (systemd) restarts the process.
for (const event of ["unhandledRejection", "uncaughtException"] as const) {
  process.on(event, (err) => {
    log.fatal({ err }, "crashed");
    process.exit(1);
  });
}
const plane = await startControlPlane(config, log);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) {
      log.warn({ signal }, "second signal, exiting now");
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, "shutting down");
    plane.close().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
