import type { AgentConfig } from "../config";
import type { Runtime } from "./runtime";
import { SimRuntime } from "./sim";

export function createRuntime(config: AgentConfig): Runtime {
  if (config.runtime === "sim") return new SimRuntime({ root: config.simRoot, opDelayMs: config.simOpDelayMs });
  throw new Error("the pct runtime is not available in this build yet; use ZLH_RUNTIME=sim");
}
