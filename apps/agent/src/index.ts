export { Agent, AGENT_VERSION } from "./agent";
export { loadAgentConfig, type AgentConfig } from "./config";
export { createRuntime } from "./runtime/createRuntime";
export { SimRuntime } from "./runtime/sim";
export { simAddress } from "./runtime/simAddress";
export { pingServer } from "./slp/ping";
