import { existsSync } from "node:fs";
import { ConfigError, seededRandom } from "@zlh/domain";
import { BOUNDARY_TOOLS } from "../guest/guestFiles";
import type { AgentConfig } from "../config";
import { LxcRuntime } from "./lxc";
import { PctRuntime } from "./pct";
import type { Runtime } from "./runtime";
import { SimRuntime } from "./sim";

/**
 * The configured runtime. On pct and lxc as root, the tools the container
 * boundary runs its worker with must be there (LXC's and util-linux's, on
 * every Proxmox and LXC host): a host without them is told at start, not at
 * its first file operation.
 */
export function createRuntime(config: AgentConfig): Runtime {
  if (config.runtime !== "sim" && process.getuid?.() === 0) {
    for (const tool of BOUNDARY_TOOLS) {
      if (!existsSync(tool)) throw new ConfigError("ZLH_RUNTIME", `${config.runtime} needs ${tool} (the container boundary runs its file worker with it; Debian's package: ${tool.endsWith("setpriv") ? "util-linux" : "lxc"}), and this host has none.`);
    }
  }
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

