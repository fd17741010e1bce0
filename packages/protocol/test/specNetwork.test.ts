import { describe, expect, it } from "vitest";
import { Compile } from "typebox/compile";
import { SpecNetwork, allocatedAddress, net0Value } from "../src/index";

const specNetwork = Compile(SpecNetwork);

describe("net0Value", () => {
  it("renders a static address with its prefix and gateway", () => {
    expect(net0Value({ bridge: "vmbr1", address: "10.60.0.20", prefix: 24, gateway: "10.60.0.1" })).toBe(
      "name=eth0,bridge=vmbr1,ip=10.60.0.20/24,gw=10.60.0.1",
    );
  });

  it("renders dhcp on the bridge", () => {
    expect(net0Value({ bridge: "vmbr0", mode: "dhcp" })).toBe("name=eth0,bridge=vmbr0,ip=dhcp");
  });
});

describe("allocatedAddress", () => {
  it("is the static address, and null where the agent must observe one", () => {
    expect(allocatedAddress({ bridge: "vmbr1", address: "10.60.0.20", prefix: 24, gateway: "10.60.0.1" })).toBe("10.60.0.20");
    expect(allocatedAddress({ bridge: "vmbr0", mode: "dhcp" })).toBeNull();
    expect(allocatedAddress(undefined)).toBeNull();
  });
});

describe("SpecNetwork", () => {
  it("accepts both shapes", () => {
    expect(specNetwork.Check({ bridge: "vmbr1", address: "10.60.0.20", prefix: 24, gateway: "10.60.0.1" })).toBe(true);
    expect(specNetwork.Check({ bridge: "vmbr0", mode: "dhcp" })).toBe(true);
  });

  it("refuses anything that could add a pct option or is not an IPv4 address", () => {
    const ok = { bridge: "vmbr1", address: "10.60.0.20", prefix: 24, gateway: "10.60.0.1" };
    for (const bad of [
      { ...ok, bridge: "vmbr1,firewall=0" },
      { ...ok, bridge: "vmbr=1" },
      { ...ok, bridge: "" },
      { ...ok, address: "10.60.0.20/24" },
      { ...ok, address: "10.60.0.256" },
      { ...ok, address: "10.60.0.20,gw=1.2.3.4" },
      { ...ok, gateway: "gw" },
      { ...ok, prefix: 31 },
      { bridge: "vmbr0", mode: "static" },
    ]) {
      expect(specNetwork.Check(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});
