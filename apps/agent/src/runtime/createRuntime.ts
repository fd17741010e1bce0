import { seededRandom } from "@zlh/domain";
import type { AgentConfig } from "../config";
import { LxcRuntime } from "./lxc";
import { PctRuntime } from "./pct";
import type { Runtime } from "./runtime";
import { SimRuntime } from "./sim";

export function createRuntime(config: AgentConfig): Runtime {
  if (config.runtime === "sim") {
    const f = config.simFaults;
    return new SimRuntime({
      root: config.simRoot,
      opDelayMs: config.simOpDelayMs,
      ...(f ? { faults: { lock: f.lock, startFail: f.startFail, createErrorAfterSuccess: f.createErrorAfterSuccess, random: seededRandom(f.seed) } } : {}),
    });
  }
  if (config.runtime === "lxc") return new LxcRuntime(config.lxcTemplate ? { template: config.lxcTemplate } : {});
  return new PctRuntime({ bin: config.pct.bin, storage: config.pct.storage, template: config.pct.template, bridge: config.pct.bridge });
}

