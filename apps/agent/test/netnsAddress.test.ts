import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { hostBridgeView, parseLinkSubnets, parseLocalAddresses, readNetnsAddress } from "../src/runtime/netnsAddress";

/** A container's /proc/<init>/net as the kernel prints it: eth0 leased 10.213.78.69/24, lo. */
const FIB_TRIE = `Main:
  +-- 0.0.0.0/0 3 0 5
     +-- 10.213.78.0/24 2 0 2
        +-- 10.213.78.0/25 2 0 2
           |-- 10.213.78.0
              /24 link UNICAST
           |-- 10.213.78.69
              /32 host LOCAL
        |-- 10.213.78.255
           /32 link BROADCAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
Local:
  +-- 0.0.0.0/0 3 0 5
     |-- 10.213.78.69
        /32 host LOCAL
`;
const ROUTE = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\neth0\t004ED50A\t00000000\t0001\t0\t0\t1024\t00FFFFFF\t0\t0\t0\neth0\t00000000\t014ED50A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";

describe("a container's address from its network namespace", () => {
  it("takes the addresses the namespace holds (host LOCAL leaves), not network, broadcast or prefix entries", () => {
    expect(parseLocalAddresses(FIB_TRIE).sort()).toEqual(["10.213.78.69", "127.0.0.1"]);
  });

  it("takes an interface's on-link subnets from the route table, not its default route", () => {
    expect(parseLinkSubnets(ROUTE, "eth0")).toEqual([{ network: 0x0a_d5_4e_00, mask: 0xff_ff_ff_00 }]);
    expect(parseLinkSubnets(ROUTE, "eth1")).toEqual([]);
    expect(parseLinkSubnets("Iface\tDestination\neth0\tnot-hex\n", "eth0")).toEqual([]);
  });

  it("knows the host's own addresses, which a container's never is", async () => {
    const host = parseLocalAddresses(await readFile("/proc/self/net/fib_trie", "utf8"));
    const view = await hostBridgeView("none0");
    expect([...view.hostAddresses].sort()).toEqual(host.sort());
    expect(view.subnets).toEqual([]); // no such bridge: any unicast address that is not the host's
  });

  it("has nothing for a process that is gone", async () => {
    expect(await readNetnsAddress(2 ** 22 + 1, 1, { hostAddresses: new Set(), subnets: [] })).toBeNull();
  });
});
