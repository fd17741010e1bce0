/**
 * A simulated container's own address: a loopback address per VMID (Linux
 * routes all of 127.0.0.0/8 to `lo`), as a real container has an IP of its
 * own. Its server binds there, so another container's server (say, a
 * leftover of an earlier run on the same port) can never answer a readiness
 * ping meant for this one. 127.0.x.x is left to the host's own services.
 * VMIDs 16,646,144 apart share an address; sim roots hold a few hundred.
 */
export function simAddress(vmid: number): string {
  return `127.${1 + (Math.floor(vmid / 65536) % 254)}.${(vmid >>> 8) & 255}.${vmid & 255}`;
}
