/**
 * `pnpm start:agent`: one host agent. First SIGINT/SIGTERM: graceful (see
 * Agent.shutdown); second: exit at once.
 */
import { exitOnCrash, loadConfigOrExit, printVersionAndExitIfAsked, stopOnSignals } from "@zlh/process";
import { Agent } from "./agent";
import { loadAgentConfig } from "./config";
import { createAgentLogger } from "./logger";
import { createRuntime } from "./runtime/createRuntime";
import { startMetricsServer } from "./metrics/metricsServer";

printVersionAndExitIfAsked("zlh-agent");
const config = loadConfigOrExit(loadAgentConfig);
// Kept in memory only: nothing the agent starts (pct, lxc, tar, the guest worker) inherits its token.
delete process.env.ZLH_AGENT_TOKEN;
const log = createAgentLogger(config.logLevel, config.logFormat, config.logName);
exitOnCrash(log);
const agent = new Agent(config, loadConfigOrExit(() => createRuntime(config)), log);
// Bound before connecting: an address taken or refused stops the agent with its reason.
const metricsServer = config.metricsListen ? await startMetricsServer(config.metricsListen, agent.metrics.registry, log).catch((err: Error) => {
  log.fatal({ err: err.message }, "ZLH_AGENT_METRICS_LISTEN: cannot listen");
  process.exit(2);
}) : null;
agent.start();
// Fault injection (the chaos harness): drop the connection as a network fault would; the agent reconnects.
process.on("SIGUSR2", () => agent.dropConnection());
stopOnSignals(log, async () => {
  await agent.shutdown(config.shutdownGraceMs);
  metricsServer?.close();
});
