import type { AgentConfig } from "../config";
import { PctRuntime } from "./pct";
import type { Runtime } from "./runtime";
import { SimRuntime } from "./sim";

export function createRuntime(config: AgentConfig): Runtime {
  if (config.runtime === "sim") return new SimRuntime({ root: config.simRoot, opDelayMs: config.simOpDelayMs });
  return new PctRuntime({ bin: config.pct.bin, storage: config.pct.storage, template: config.pct.template, bridge: config.pct.bridge });
}
