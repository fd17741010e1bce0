import { describe, expect, it } from "vitest";
import { InvalidHostNetworkError, isReportableIpv4, parseIpv4, validateHostNetwork } from "../src/index";

const good = { bridge: "vmbr1", subnet: "10.60.0.0/24", gateway: "10.60.0.1", range: { first: "10.60.0.10", last: "10.60.0.20" } };

function reason(input: Parameters<typeof validateHostNetwork>[0]): string {
  try {
    validateHostNetwork(input);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidHostNetworkError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe("validateHostNetwork", () => {
  it("defaults to static when a subnet is given, and normalises", () => {
    expect(validateHostNetwork(good)).toEqual({
      mode: "static", bridge: "vmbr1", subnet: "10.60.0.0/24", prefix: 24, gateway: "10.60.0.1", rangeFirst: "10.60.0.10", rangeLast: "10.60.0.20",
    });
  });

  it("defaults to dhcp with a bridge only", () => {
    expect(validateHostNetwork({ bridge: "vmbr0" })).toEqual({ mode: "dhcp", bridge: "vmbr0" });
    expect(validateHostNetwork({ bridge: "vmbr0", mode: "dhcp" })).toEqual({ mode: "dhcp", bridge: "vmbr0" });
  });

  it("refuses what is not a subnet, a gateway outside it, a range touching network, broadcast or gateway", () => {
    expect(reason({ ...good, subnet: "10.60.0.0" })).toMatch(/CIDR/);
    expect(reason({ ...good, subnet: "10.60.0.0/33" })).toMatch(/CIDR/);
    expect(reason({ ...good, subnet: "10.60.0.0/31" })).toMatch(/CIDR/);
    expect(reason({ ...good, subnet: "300.60.0.0/24" })).toMatch(/CIDR/);
    expect(reason({ ...good, subnet: "10.60.0.5/24" })).toMatch(/host bits.*10\.60\.0\.0\/24/);
    expect(reason({ ...good, gateway: "10.61.0.1" })).toMatch(/gateway/);
    expect(reason({ ...good, gateway: "010.60.0.1" })).toMatch(/not an IPv4/);
    expect(reason({ ...good, range: { first: "10.60.0.0", last: "10.60.0.20" } })).toMatch(/range.first.*network and broadcast/);
    expect(reason({ ...good, range: { first: "10.60.0.10", last: "10.60.0.255" } })).toMatch(/range.last/);
    expect(reason({ ...good, range: { first: "10.60.0.10", last: "10.60.1.2" } })).toMatch(/range.last/);
    expect(reason({ ...good, range: { first: "10.60.0.20", last: "10.60.0.10" } })).toMatch(/after/);
    expect(reason({ ...good, gateway: "10.60.0.15" })).toMatch(/contains the gateway/);
    expect(reason({ ...good, bridge: "vmbr1,firewall=1" })).toMatch(/bridge/);
    expect(reason({ bridge: "vmbr1", mode: "static" })).toMatch(/needs subnet/);
    expect(reason({ ...good, mode: "dhcp" })).toMatch(/only a bridge/);
  });
});

describe("IPv4 text", () => {
  it("parses strict dotted quads only", () => {
    expect(parseIpv4("255.255.255.255")).toBe(0xffffffff);
    expect(parseIpv4("10.0.0.1")).toBe(0x0a000001);
    for (const bad of ["1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.256", " 1.2.3.4", "1.2.3.4\n", "::1", "1.2.3.4/32"]) expect(parseIpv4(bad)).toBeNull();
  });

  it("takes a reported unicast address, nothing else", () => {
    expect(isReportableIpv4("10.60.0.7")).toBe(true);
    expect(isReportableIpv4("127.0.3.9")).toBe(true);
    for (const bad of ["0.0.0.0", "224.0.0.1", "255.255.255.255", "10.0.0.1 10.0.0.2", 42, null, "x".repeat(10_000)]) expect(isReportableIpv4(bad)).toBe(false);
  });
});
