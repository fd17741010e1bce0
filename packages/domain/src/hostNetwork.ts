/**
 * A host's network settings (IPv4 only), checked before anything is written:
 * the API answers a bad one with 422 `invalid_network` and its reason; the
 * database's `hosts_network_valid` check holds the same rule underneath.
 */
import { ZlhError } from "./errors";

export class InvalidHostNetworkError extends ZlhError {
  readonly code = "invalid_network";
}

/** What an admin sends (POST /v1/hosts `network`, PATCH /v1/hosts/:id/network). */
export interface HostNetworkInput {
  bridge: string;
  mode?: "static" | "dhcp";
  subnet?: string;
  gateway?: string;
  range?: { first: string; last: string };
}

export type HostNetwork =
  | { mode: "static"; bridge: string; subnet: string; prefix: number; gateway: string; rangeFirst: string; rangeLast: string }
  | { mode: "dhcp"; bridge: string };

/** Dotted quad, four decimal octets 0-255 without leading zeros (which some parsers read as octal). */
export function parseIpv4(text: string): number | null {
  const m = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/.exec(text);
  if (!m) return null;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return null;
  return ((octets[0]! << 24) >>> 0) + (octets[1]! << 16) + (octets[2]! << 8) + octets[3]!;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** A unicast host address as an agent may report one: a valid dotted quad, not 0.0.0.0, multicast or broadcast. */
export function isReportableIpv4(text: unknown): text is string {
  if (typeof text !== "string") return false;
  const n = parseIpv4(text);
  return n !== null && n !== 0 && n < 0xe0000000;
}

function fail(message: string): never {
  throw new InvalidHostNetworkError(message);
}

/** Checks and normalises a host's network settings; throws InvalidHostNetworkError with the reason. */
export function validateHostNetwork(input: HostNetworkInput): HostNetwork {
  if (!/^[A-Za-z][A-Za-z0-9_.-]{0,14}$/.test(input.bridge)) {
    fail("bridge must be a Linux interface name: a letter, then up to 14 letters, digits, '_', '.' or '-'.");
  }
  const mode = input.mode ?? (input.subnet === undefined ? "dhcp" : "static");
  if (mode === "dhcp") {
    if (input.subnet !== undefined || input.gateway !== undefined || input.range !== undefined) {
      fail("A dhcp network has only a bridge: subnet, gateway and range are for mode static.");
    }
    return { mode, bridge: input.bridge };
  }
  if (input.subnet === undefined || input.gateway === undefined || input.range === undefined) {
    fail("A static network needs subnet, gateway and range.");
  }
  const cidr = /^([0-9.]+)\/([0-9]{1,2})$/.exec(input.subnet);
  const base = cidr ? parseIpv4(cidr[1]!) : null;
  const prefix = cidr ? Number(cidr[2]) : NaN;
  if (base === null || !(prefix >= 1 && prefix <= 30)) fail(`subnet ${JSON.stringify(input.subnet)} is not an IPv4 CIDR with a prefix of 1-30 (e.g. 10.60.0.0/24).`);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) fail(`subnet ${input.subnet} has host bits set: its network address is ${formatIpv4(base - (base % size))}/${prefix}.`);
  const network = base;
  const broadcast = base + size - 1;
  const address = (field: string, text: string): number => {
    const n = parseIpv4(text);
    if (n === null) fail(`${field} ${JSON.stringify(text)} is not an IPv4 address.`);
    if (n <= network || n >= broadcast) fail(`${field} ${text} is not a host address of ${input.subnet} (the network and broadcast addresses are not).`);
    return n;
  };
  const gateway = address("gateway", input.gateway);
  const first = address("range.first", input.range.first);
  const last = address("range.last", input.range.last);
  if (first > last) fail(`range.first ${input.range.first} is after range.last ${input.range.last}.`);
  if (gateway >= first && gateway <= last) fail(`The range ${input.range.first}..${input.range.last} contains the gateway ${input.gateway}.`);
  return {
    mode,
    bridge: input.bridge,
    subnet: `${formatIpv4(network)}/${prefix}`,
    prefix,
    gateway: formatIpv4(gateway),
    rangeFirst: formatIpv4(first),
    rangeLast: formatIpv4(last),
  };
}

export class NetworkInUseError extends ZlhError {
  readonly code = "network_in_use";
  constructor(held: string[]) {
    super(
      `Servers hold ${held.length === 1 ? "address" : "addresses"} ${held.slice(0, 5).join(", ")}${held.length > 5 ? ", ..." : ""} that the new settings would not cover; ` +
        "keep them inside the static range (or delete those servers first).",
    );
  }
}
