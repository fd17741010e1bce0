/**
 * `pnpm start:control-plane`: loads the configuration, starts, and stops on
 * signal. First SIGINT/SIGTERM: graceful (stop listening, finish requests and
 * jobs, close the database). Second: exit at once.
 *
 * `reseal-secrets` instead re-seals every stored secret under ZLH_SECRETS_KEY and exits
 * (docs/operations.md, Rotating ZLH_SECRETS_KEY).
 */
import { exitOnCrash, loadConfigOrExit, printVersionAndExitIfAsked, stopOnSignals } from "@zlh/process";
import { loadConfig } from "./config";
import { startControlPlane } from "./controlPlane";
import { createLogger } from "./logger";
import { runResealCommand } from "./secrets/resealCommand";

printVersionAndExitIfAsked("zlh-control-plane");
const config = loadConfigOrExit(loadConfig);
if (process.argv[2] === "reseal-secrets") process.exit(await runResealCommand(config));
const log = createLogger(config.logLevel, "control-plane", config.logFormat);
exitOnCrash(log);
const plane = await startControlPlane(config, log);
stopOnSignals(log, () => plane.close());
