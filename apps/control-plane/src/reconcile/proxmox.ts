import proxmoxApi from "proxmox-api";
import { serverIdFromMarker } from "@zlh/protocol";
import type { ObservedContainer } from "./diff";

export interface ProxmoxSettings {
  url: string;
  tokenId: string;
  tokenSecret: string;
}

export interface ProxmoxView {
  /** Guests by Proxmox node name. */
  guestsByNode(): Promise<Map<string, ObservedContainer[]>>;
}

/**
 * The Proxmox cluster's own list of guests, through the proxmox-api client
 * (given the global fetch, so that tests can answer it with msw). LXC
 * descriptions are read for our marker; VMs (qemu) are never ours.
 */
export function connectProxmox(s: ProxmoxSettings): ProxmoxView {
  const u = new URL(s.url);
  const px = proxmoxApi({
    host: u.hostname,
    port: u.port ? Number(u.port) : 8006,
    schema: u.protocol === "http:" ? "http" : "https",
    tokenID: s.tokenId,
    tokenSecret: s.tokenSecret,
    fetch: globalThis.fetch as never,
  });
  return {
    async guestsByNode() {
      const resources = await px.cluster.resources.$get({ type: "vm" });
      const byNode = new Map<string, ObservedContainer[]>();
      for (const r of resources) {
        if (r.vmid === undefined || !r.node || (r.type !== "lxc" && r.type !== "qemu")) continue;
        let serverId: string | null = null;
        if (r.type === "lxc") {
          const config = await px.nodes.$(r.node).lxc.$(r.vmid).config.$get();
          serverId = serverIdFromMarker(config.description);
        }
        const list = byNode.get(r.node) ?? [];
        list.push({ vmid: r.vmid, state: r.status === "running" ? "running" : "stopped", serverId, source: "proxmox" });
        byNode.set(r.node, list);
      }
      return byNode;
    },
  };
}
