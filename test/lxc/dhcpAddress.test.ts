import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { LxcRuntime } from "../../apps/agent/src/runtime/lxc";
import { LXC_PATH } from "../../apps/agent/src/runtime/lxc/hostLayout";
import { hostBridgeView, readNetnsAddress } from "../../apps/agent/src/runtime/netnsAddress";
import { destroyTestContainers } from "./support/containers";
import { createDhcpBridge, DHCP_BRIDGE, removeDhcpBridge, startDnsmasq, type Dnsmasq } from "./support/dhcpBridge";

/**
 * A host network in DHCP mode, on real containers: a bridge of this test's
 * own with dnsmasq on it, a container whose eth0 asks for its address
 * (systemd-networkd inside), and the agent's runtime reading the address
 * from the host in the container's network namespace: only once DHCP has
 * answered, and failing clearly at its deadline when DHCP never does.
 */
const VMIDS = [9930, 9931, 9936];
const network = { bridge: DHCP_BRIDGE, mode: "dhcp" as const };
const spec = (vmid: number) => ({ vmid, hostname: `zlh-dhcp-${vmid}`, memoryMiB: 256, cpuCores: 1, diskGiB: 2, description: `zlh-server=dhcp-test-${vmid}`, network });
let dnsmasq: Dnsmasq | undefined;

beforeAll(async () => {
  await destroyTestContainers(VMIDS);
  await createDhcpBridge();
});

afterAll(async () => {
  await destroyTestContainers(VMIDS);
  await dnsmasq?.stop();
  await removeDhcpBridge();
});

describe("DHCP on a real bridge", () => {
  it("reads the container's address from its network namespace once DHCP answers, not before", async () => {
    const replyDelayS = 4;
    dnsmasq = await startDnsmasq(replyDelayS);
    const rt = new LxcRuntime({ dhcpTimeoutMs: 90_000 });
    await rt.create(spec(9930));
    await rt.start(9930);
    const started = Date.now();
    const address = await rt.address(9930);
    // dnsmasq delays its offer by 4 s: an address read at once (before the wait) would have been none.
    expect(Date.now() - started).toBeGreaterThanOrEqual(replyDelayS * 1000);
    expect(address).toMatch(/^10\.213\.78\.(5\d|[6-9]\d)$/);
    // The one lease dnsmasq gave on its bridge (the container is its only client).
    expect((await dnsmasq.leases()).map((l) => l.address)).toEqual([address]);
    // Once leased, asking again answers at once with the same address.
    const again = Date.now();
    expect(await rt.address(9930)).toBe(address);
    expect(Date.now() - again).toBeLessThan(2000);
    await rt.stop(9930, 10_000);
    await expect(rt.address(9930)).rejects.toMatchObject({ kind: "not_running" });
    await rt.destroy(9930);
  });

  it("fails clearly at its deadline when DHCP never answers", async () => {
    await dnsmasq?.stop();
    dnsmasq = undefined;
    const rt = new LxcRuntime({ dhcpTimeoutMs: 8000 });
    await rt.create(spec(9931));
    await rt.start(9931);
    const started = Date.now();
    await expect(rt.address(9931)).rejects.toThrow(`CT 9931 has no IPv4 address from DHCP on ${DHCP_BRIDGE} after 8 s`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(8000);
    await rt.stop(9931, 10_000);
    await rt.destroy(9931);
  });

  it("a static network from the control plane: the container holds the database's address at once, with nothing waited for", async () => {
    const rt = new LxcRuntime({ dhcpTimeoutMs: 1000 });
    const staticNet = { bridge: DHCP_BRIDGE, address: "10.213.78.20", prefix: 24, gateway: "10.213.78.1" };
    await rt.create({ ...spec(9936), network: staticNet });
    await rt.start(9936);
    expect(await rt.address(9936)).toBe("10.213.78.20");
    const { stdout } = await promisify(execFile)("lxc-info", ["-P", LXC_PATH, "-n", "9936", "-p", "-H"], { timeout: 10_000 });
    expect(await readNetnsAddress(Number(stdout.trim()), 9936, await hostBridgeView(DHCP_BRIDGE))).toBe("10.213.78.20");
    await rt.stop(9936, 10_000);
    await rt.destroy(9936);
  });
});
