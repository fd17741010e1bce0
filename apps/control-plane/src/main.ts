/**
 * `pnpm start:control-plane`: loads the configuration, starts, and stops on
 * signal. First SIGINT/SIGTERM: graceful (stop listening, finish requests and
 * jobs, close the database). Second: exit at once.
 */
import { exitOnCrash, loadConfigOrExit, printVersionAndExitIfAsked, stopOnSignals } from "@zlh/process";
import { loadConfig } from "./config";
import { startControlPlane } from "./controlPlane";
import { createLogger } from "./logger";

printVersionAndExitIfAsked("zlh-control-plane");
const config = loadConfigOrExit(loadConfig);
const log = createLogger(config.logLevel, "control-plane", config.logFormat);
exitOnCrash(log);
const plane = await startControlPlane(config, log);
stopOnSignals(log, () => plane.close());
