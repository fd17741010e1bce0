import { describe, expect, it } from "vitest";
import { parseLxcConfig, renderLxcConfig, type LxcContainerSpec } from "../src/runtime/lxc/lxcConfig";

const base = { vmid: 9930, hostname: "zlh-9930", memoryMiB: 512, cpuCores: 1, diskGiB: 2, description: "zlh-server=x\nline two" };

describe("the lxc runtime's config", () => {
  it("records and renders each network: the runtime's own static address, the control plane's with its gateway, DHCP with no address", () => {
    const cases: [LxcContainerSpec["network"], string[], string[]][] = [
      [{ bridge: "zlhbr0", address: "10.213.77.2", prefix: 24, gateway: null }, ["lxc.net.0.link = zlhbr0", "lxc.net.0.ipv4.address = 10.213.77.2/24"], ["lxc.net.0.ipv4.gateway"]],
      [{ bridge: "vmbr1", address: "192.0.2.10", prefix: 25, gateway: "192.0.2.1" }, ["lxc.net.0.link = vmbr1", "lxc.net.0.ipv4.address = 192.0.2.10/25", "lxc.net.0.ipv4.gateway = 192.0.2.1"], []],
      [{ bridge: "zlhtest-dhcp", mode: "dhcp" }, ["lxc.net.0.link = zlhtest-dhcp"], ["lxc.net.0.ipv4"]],
    ];
    for (const [network, present, absent] of cases) {
      const text = renderLxcConfig({ ...base, network }, "/r", 2, 2);
      for (const line of present) expect(text.split("\n")).toContain(line);
      for (const key of absent) expect(text).not.toContain(key);
      expect(parseLxcConfig(9930, text)).toEqual({ ...base, network });
    }
  });

  it("reads a config written before the network was recorded as the runtime's static address on zlhbr0", () => {
    const old = "#zlh.hostname = h\n#zlh.memoryMiB = 512\n#zlh.cpuCores = 1\n#zlh.diskGiB = 2\n#zlh.address = 10.213.77.5\n#zlh.description = d\n";
    expect(parseLxcConfig(1, old)?.network).toEqual({ bridge: "zlhbr0", address: "10.213.77.5", prefix: 24, gateway: null });
  });
});
