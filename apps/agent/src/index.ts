export { Agent, AGENT_VERSION } from "./agent";
export { loadAgentConfig, type AgentConfig } from "./config";
export { createRuntime } from "./runtime/createRuntime";
export { SimRuntime } from "./runtime/sim";
export { pingServer } from "./slp/ping";
