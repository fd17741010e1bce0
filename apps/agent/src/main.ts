/**
 * `pnpm start:agent`: one host agent. First SIGINT/SIGTERM: graceful (see
 * Agent.shutdown); second: exit at once.
 */
import { ConfigError } from "@zlh/domain";
import { Agent } from "./agent";
import { loadAgentConfig, type AgentConfig } from "./config";
import { createAgentLogger } from "./logger";
import { createRuntime } from "./runtime/createRuntime";

let config: AgentConfig;
try {
  config = loadAgentConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`Invalid configuration: ${err.message}`);
    process.exit(2);
  }
  throw err;
}
const log = createAgentLogger(config.logLevel);
// Fail fast, but say why first: systemd restarts the agent, which then resumes from its outbox.
for (const event of ["unhandledRejection", "uncaughtException"] as const) {
  process.on(event, (err) => {
    log.fatal({ err }, "crashed");
    process.exit(1);
  });
}
const agent = new Agent(config, createRuntime(config), log);
agent.start();
// Fault injection (the chaos harness): drop the connection as a network fault would; the agent reconnects.
process.on("SIGUSR2", () => agent.dropConnection());

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, "agent shutting down");
    agent.shutdown(config.shutdownGraceMs).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
