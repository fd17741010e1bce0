import type { SpecNetwork } from "./messages";

/**
 * The `pct create --net0` value for a spec's network: the control plane's
 * static address with its prefix and gateway, or DHCP on the bridge. The
 * spec's schema (SpecNetwork) already keeps ',' and '=' out of every part,
 * so nothing in it can add another pct option.
 */
export function net0Value(network: SpecNetwork): string {
  if ("mode" in network) return `name=eth0,bridge=${network.bridge},ip=dhcp`;
  return `name=eth0,bridge=${network.bridge},ip=${network.address}/${network.prefix},gw=${network.gateway}`;
}

/**
 * The address the control plane allocated (static network), which the agent uses for readiness and RCON
 * instead of asking the container; null when it must observe one (dhcp, or no network in the spec).
 */
export function allocatedAddress(network: SpecNetwork | undefined): string | null {
  return network && "address" in network ? network.address : null;
}
