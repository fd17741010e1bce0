import { open } from "node:fs/promises";
import { RuntimeError } from "./runtime";

/**
 * A DHCP container's IPv4 address, read from the host: the kernel's view of
 * the container's network namespace under /proc/<init pid>/net (fib_trie for
 * the addresses it holds, route for the interface each subnet is on).
 * Nothing runs inside the container. Its root owns that namespace and may
 * fill it with anything, so every read is bounded and the address is checked
 * against the host's own view of the bridge before anyone connects to it.
 */

/** fib_trie grows with the addresses and routes a container adds; a real one is a few KiB. */
const MAX_PROC_BYTES = 256 * 1024;

/** Reads at most MAX_PROC_BYTES of a proc file; null when it does not exist (the process is gone). */
async function readBounded(path: string): Promise<string | null> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch {
    return null;
  }
  try {
    const buf = Buffer.alloc(MAX_PROC_BYTES + 1);
    let size = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, size, buf.length - size);
      if (bytesRead === 0) break;
      size += bytesRead;
      if (size > MAX_PROC_BYTES) throw new RuntimeError("other", `${path} is larger than ${MAX_PROC_BYTES} bytes; refused`);
    }
    return buf.subarray(0, size).toString("latin1");
  } finally {
    await handle.close();
  }
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function toInt(address: string): number | null {
  const m = IPV4.exec(address);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

function toDotted(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** The addresses a namespace holds: fib_trie leaves (`|-- a.b.c.d`) with a `/32 host LOCAL` entry. */
export function parseLocalAddresses(fibTrie: string): string[] {
  const found = new Set<string>();
  let leaf: string | null = null;
  for (const line of fibTrie.split("\n")) {
    const m = /^\s*\|-- (\S+)$/.exec(line);
    if (m) {
      leaf = toInt(m[1]!) === null ? null : m[1]!;
      continue;
    }
    if (/^\s*\+-- /.test(line) || /^\S/.test(line)) leaf = null;
    else if (leaf && /^\s*\/32 host LOCAL\b/.test(line)) found.add(leaf);
  }
  return [...found];
}

export interface Subnet {
  network: number;
  mask: number;
}

/** The on-link (gateway 0) IPv4 subnets of an interface, from /proc/net/route (hex, host byte order: little-endian here). */
export function parseLinkSubnets(route: string, iface: string): Subnet[] {
  const le = (hex: string) => Buffer.from(hex.padStart(8, "0"), "hex").readUInt32LE(0);
  return route
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 8 && f[0] === iface && /^[0-9A-Fa-f]{8}$/.test(f[1]!) && f[2] === "00000000" && /^[0-9A-Fa-f]{8}$/.test(f[7]!))
    .map((f) => ({ network: le(f[1]!), mask: le(f[7]!) }))
    .filter((s) => s.mask !== 0);
}

const inSubnet = (a: number, s: Subnet) => ((a & s.mask) >>> 0) === ((s.network & s.mask) >>> 0);

/** An address a host may connect to as a container's: unicast, not loopback, link-local, "this network" or multicast. */
function unicast(a: number): boolean {
  const first = a >>> 24;
  return first !== 0 && first !== 127 && first < 224 && (a >>> 16) !== ((169 << 8) | 254);
}

/** The host's side of a bridge: its own addresses (never a container's) and the bridge's subnets (a container's must be in one). */
export interface BridgeView {
  hostAddresses: Set<string>;
  subnets: Subnet[];
}

/** The host's view of `bridge`, from the agent's own namespace. */
export async function hostBridgeView(bridge: string): Promise<BridgeView> {
  const [fib, route] = await Promise.all([readBounded("/proc/self/net/fib_trie"), readBounded("/proc/self/net/route")]);
  return { hostAddresses: new Set(parseLocalAddresses(fib ?? "")), subnets: parseLinkSubnets(route ?? "", bridge) };
}

/**
 * The container's eth0 address: a local address inside one of eth0's on-link
 * subnets; null while it has none (DHCP has not answered). An address the
 * host could not be reaching the container at (loopback, one of the host's
 * own, or outside the bridge's subnet where the host has one) is refused:
 * readiness would otherwise connect to the host itself or elsewhere.
 */
export async function readNetnsAddress(initPid: number, vmid: number, bridge: BridgeView): Promise<string | null> {
  const [fib, route] = await Promise.all([readBounded(`/proc/${initPid}/net/fib_trie`), readBounded(`/proc/${initPid}/net/route`)]);
  if (fib === null || route === null) return null;
  const eth0 = parseLinkSubnets(route, "eth0");
  const candidates = parseLocalAddresses(fib).filter((a) => eth0.some((s) => inSubnet(toInt(a)!, s)));
  // The lowest by value (not as text: "10.0.0.123" sorts before "10.0.0.57"); which one a customer's root adds
  // beside its lease is theirs to choose, so the control plane refuses one another server holds (recordObservedAddress).
  const address = candidates.sort((x, y) => toInt(x)! - toInt(y)!)[0];
  if (!address) return null;
  const n = toInt(address)!;
  const onBridge = bridge.subnets.find((s) => inSubnet(n, s));
  const broadcast = onBridge ? ((onBridge.network | ~onBridge.mask) >>> 0) : null;
  const network = onBridge ? ((onBridge.network & onBridge.mask) >>> 0) : null;
  if (!unicast(n) || bridge.hostAddresses.has(address) || (bridge.subnets.length > 0 && !onBridge) || n === broadcast || n === network) {
    const where = bridge.subnets.map((s) => `${toDotted(s.network)}/${bitCount(s.mask)}`).join(", ");
    throw new RuntimeError("other", `CT ${vmid} holds ${address}, which is not a container's address on its bridge${where ? ` (${where})` : ""}; refused`);
  }
  return address;
}

function bitCount(mask: number): number {
  let n = 0;
  for (let m = mask >>> 0; m; m = (m << 1) >>> 0) n++;
  return n;
}

export interface WaitForAddress {
  vmid: number;
  bridge: string;
  timeoutMs: number;
  /** The container's init pid now (null when it is not running). */
  initPid: () => Promise<number | null>;
  pollMs?: number;
}

/**
 * Waits until the running container holds its DHCP address, within the
 * deadline: a container just started has none until DHCP answers. The init
 * pid is checked again after each read (a pid reused by a host process shows
 * the host's namespace; the host's addresses are refused anyway).
 */
export async function waitForNetnsAddress(w: WaitForAddress): Promise<string> {
  const deadline = Date.now() + w.timeoutMs;
  const view = await hostBridgeView(w.bridge);
  for (;;) {
    const pid = await w.initPid();
    if (pid === null) throw new RuntimeError("not_running", `CT ${w.vmid} is not running; it has no address`);
    const address = await readNetnsAddress(pid, w.vmid, view);
    if (address && (await w.initPid()) === pid) return address;
    if (Date.now() >= deadline) {
      throw new RuntimeError("other", `CT ${w.vmid} has no IPv4 address from DHCP on ${w.bridge} after ${Math.round(w.timeoutMs / 1000)} s`);
    }
    await new Promise((r) => setTimeout(r, w.pollMs ?? 250));
  }
}
