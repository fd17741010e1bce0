import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * A bridge of the DHCP test's own with Debian's dnsmasq answering on it:
 * local-only (10.213.78.0/24, the host at .1), no NAT, and dnsmasq gives no
 * router and no DNS server, so a container on it reaches only this machine.
 */
export const DHCP_BRIDGE = "zlhtest-dhcp";
export const DHCP_HOST = "10.213.78.1";
const POOL = ["10.213.78.50", "10.213.78.99"] as const;

/** Removes the bridge (whatever a crashed run left); its dnsmasq is a child of the test process and gone with it. */
export async function removeDhcpBridge(): Promise<void> {
  await run("ip", ["link", "del", DHCP_BRIDGE], { timeout: 10_000 }).catch(() => {});
}

export async function createDhcpBridge(): Promise<void> {
  await removeDhcpBridge();
  await run("ip", ["link", "add", DHCP_BRIDGE, "type", "bridge"], { timeout: 10_000 });
  // Local as host:prepare leaves zlhbr0: nothing forwarded from it, no IPv6 on it.
  await writeFile(`/proc/sys/net/ipv4/conf/${DHCP_BRIDGE}/forwarding`, "0");
  await writeFile(`/proc/sys/net/ipv6/conf/${DHCP_BRIDGE}/disable_ipv6`, "1");
  await run("ip", ["addr", "add", `${DHCP_HOST}/24`, "dev", DHCP_BRIDGE], { timeout: 10_000 });
  await run("ip", ["link", "set", DHCP_BRIDGE, "up"], { timeout: 10_000 });
}

export interface Dnsmasq {
  /** The leases it handed out: address and client MAC. */
  leases(): Promise<{ address: string; mac: string }[]>;
  stop(): Promise<void>;
}

/** dnsmasq as a DHCP server only (no DNS: port 0) on the bridge, each reply delayed by `replyDelayS` seconds. */
export async function startDnsmasq(replyDelayS: number): Promise<Dnsmasq> {
  const dir = await mkdtemp(join(tmpdir(), "zlh-dnsmasq-"));
  const leaseFile = join(dir, "leases");
  const child: ChildProcess = spawn(
    "/usr/sbin/dnsmasq",
    [
      "--keep-in-foreground", "--conf-file=/dev/null", "--port=0", "--no-resolv", "--no-hosts",
      `--interface=${DHCP_BRIDGE}`, "--bind-interfaces", "--except-interface=lo",
      `--dhcp-range=${POOL[0]},${POOL[1]},255.255.255.0,1h`,
      // No router (option 3) and no DNS server (option 6): the container gets an address and nothing else.
      "--dhcp-option=3", "--dhcp-option=6",
      `--dhcp-reply-delay=${replyDelayS}`,
      `--dhcp-leasefile=${leaseFile}`, `--pid-file=${join(dir, "pid")}`, "--log-facility=-",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    if (stderr.length < 16_384) stderr += d.toString("utf8");
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // Listening once it has logged its DHCP range; an early exit is a clear failure.
  const deadline = Date.now() + 10_000;
  while (!/DHCP, IP range/.test(stderr)) {
    if (child.exitCode !== null) throw new Error(`dnsmasq exited ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`dnsmasq did not start within 10 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    async leases() {
      const text = await readFile(leaseFile, "utf8").catch(() => "");
      // `<expiry> <mac> <address> <hostname> <client id>` per line.
      return text.trim().split("\n").filter(Boolean).map((line) => {
        const [, mac, address] = line.split(" ");
        return { address: address!, mac: mac! };
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
