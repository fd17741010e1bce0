import { readFile, writeFile } from "node:fs/promises";
import { BRIDGE, HOST_ADDRESS, PREFIX_LENGTH } from "../../apps/agent/src/runtime/lxc/hostLayout";
import { sh, type Report } from "./report";

const CIDR = `${HOST_ADDRESS}/${PREFIX_LENGTH}`;

/**
 * The containers' bridge: local only. The host has the .1 address and is the
 * only thing containers can reach: no NAT rule is added, and forwarding is
 * off for packets arriving on the bridge (IPv4 decides forwarding by the
 * ingress interface), so even a container that adds a default route via .1
 * gets nowhere. IPv6 is off on it, so nothing but this /24 is spoken.
 * Not persistent: the bridge is gone after a reboot; host:prepare makes it again.
 */
export async function prepareBridge(report: Report, install: boolean): Promise<void> {
  const exists = await sh("ip", ["-o", "link", "show", "dev", BRIDGE], 10_000).then(() => true, () => false);
  if (!exists) {
    if (!install) return report.lack(`bridge ${BRIDGE} does not exist (run with --install as root)`);
    await sh("ip", ["link", "add", BRIDGE, "type", "bridge"], 10_000);
    report.did(`created bridge ${BRIDGE}`);
  }
  const addrs = await sh("ip", ["-o", "-4", "addr", "show", "dev", BRIDGE], 10_000);
  if (addrs.includes(` ${CIDR} `)) report.ok(`${BRIDGE} has ${CIDR}`);
  else if (install) {
    await sh("ip", ["addr", "add", CIDR, "dev", BRIDGE], 10_000);
    report.did(`gave ${BRIDGE} the address ${CIDR}`);
  } else report.lack(`${BRIDGE} lacks the address ${CIDR}`);

  await sysctl(report, install, `net/ipv4/conf/${BRIDGE}/forwarding`, "0", "no forwarding of packets from the bridge");
  await sysctl(report, install, `net/ipv6/conf/${BRIDGE}/disable_ipv6`, "1", "no IPv6 on the bridge");

  const link = await sh("ip", ["-o", "link", "show", "dev", BRIDGE], 10_000);
  if (/[<,]UP[,>]/.test(link)) report.ok(`${BRIDGE} is up`);
  else if (install) {
    await sh("ip", ["link", "set", BRIDGE, "up"], 10_000);
    report.did(`set ${BRIDGE} up`);
  } else report.lack(`${BRIDGE} is down`);
}

async function sysctl(report: Report, install: boolean, key: string, want: string, what: string): Promise<void> {
  const path = `/proc/sys/${key}`;
  const have = (await readFile(path, "utf8")).trim();
  if (have === want) return report.ok(`${key.replaceAll("/", ".")} = ${want} (${what})`);
  if (!install) return report.lack(`${key.replaceAll("/", ".")} is ${have}, should be ${want} (${what})`);
  await writeFile(path, want);
  report.did(`set ${key.replaceAll("/", ".")} = ${want} (${what})`);
}
