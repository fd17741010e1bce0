import proxmoxApi from "proxmox-api";
import type { Logger } from "pino";
import { serverIdFromMarker } from "@zlh/protocol";
import type { ObservedContainer } from "./judgeHost";
import type { Listing } from "./observe";

export interface ProxmoxSettings {
  url: string;
  tokenId: string;
  tokenSecret: string;
}

export type ProxmoxGuest = Omit<ObservedContainer, "observedAt">;

export interface ProxmoxGuests {
  /** When the listing was asked for: it shows the cluster as of then or later. */
  at: Date;
  /** The cluster's node names: a host whose `node` is not among them gets no Proxmox evidence. */
  nodes: Set<string>;
  byNode: Map<string, ProxmoxGuest[]>;
}

export interface ProxmoxView {
  /** Guests by Proxmox node name, or null when Proxmox cannot be trusted to show every guest (missing privileges). */
  guests(): Promise<ProxmoxGuests | null>;
}

/**
 * What Proxmox says of one host, or null when it says nothing trustworthy:
 * Proxmox is not configured or not usable, or the host's `node` is not a
 * node of the cluster (an empty list for an unknown name would read as
 * "every container is missing").
 */
export function proxmoxListingFor(guests: ProxmoxGuests | null, node: string): Listing<ProxmoxGuest> | null {
  if (!guests || !guests.nodes.has(node)) return null;
  return { items: guests.byNode.get(node) ?? [], at: guests.at };
}

/** `/cluster/resources` omits guests the token may not audit: without VM.Audit on /vms an empty list proves nothing. */
export const REQUIRED_PRIVILEGES = [{ path: "/vms", privilege: "VM.Audit" }] as const;

/**
 * The Proxmox cluster's own list of guests, through the proxmox-api client
 * (given the global fetch, so that tests can answer it with msw), read the
 * way Proxmox means it (pve-manager and pve-cluster source):
 *  - the token's privileges are checked first (once, then again after a
 *    refusal), and what is missing is logged; without them there is no
 *    Proxmox evidence at all, since the listing would silently omit guests;
 *  - `status: "unknown"` (a node that stopped reporting) stays unknown;
 *  - LXC descriptions are read for our marker; a guest whose config does not
 *    answer (destroyed meanwhile, node down) is kept with its marker unknown,
 *    so neither it nor its server is judged on it; VMs (qemu) are never ours.
 */
export function connectProxmox(s: ProxmoxSettings, log?: Logger): ProxmoxView {
  const u = new URL(s.url);
  const px = proxmoxApi({
    host: u.hostname,
    port: u.port ? Number(u.port) : 8006,
    schema: u.protocol === "http:" ? "http" : "https",
    tokenID: s.tokenId,
    tokenSecret: s.tokenSecret,
    fetch: globalThis.fetch as never,
  });
  let privilegesOk = false;
  const checkPrivileges = async (): Promise<boolean> => {
    const granted = (await px.access.permissions.$get({ path: "/vms" })) as Record<string, Record<string, number>>;
    const missing = REQUIRED_PRIVILEGES.filter((r) => !granted[r.path]?.[r.privilege]);
    if (missing.length > 0) {
      log?.error({ tokenId: s.tokenId, missing: missing.map((m) => `${m.privilege} on ${m.path}`) }, "the Proxmox token lacks privileges; Proxmox evidence is ignored until they are granted");
      return false;
    }
    return true;
  };
  return {
    async guests() {
      if (!privilegesOk) privilegesOk = await checkPrivileges();
      if (!privilegesOk) return null;
      const at = new Date();
      const [resources, nodes] = await Promise.all([px.cluster.resources.$get({ type: "vm" }), px.nodes.$get()]);
      const byNode = new Map<string, ProxmoxGuest[]>();
      await Promise.all(
        resources.map(async (r) => {
          if (r.vmid === undefined || !r.node || (r.type !== "lxc" && r.type !== "qemu")) return;
          const state = r.status === "running" ? "running" : r.status === "stopped" ? "stopped" : "unknown";
          let guest: ProxmoxGuest = { vmid: r.vmid, state, serverId: null, source: "proxmox" };
          if (r.type === "lxc") {
            try {
              guest.serverId = serverIdFromMarker((await px.nodes.$(r.node).lxc.$(r.vmid).config.$get()).description);
            } catch (err) {
              log?.warn({ node: r.node, vmid: r.vmid, err: (err as Error).message }, "Proxmox guest config unreadable; its marker is unknown this pass");
              guest = { ...guest, markerUnknown: true };
            }
          }
          const list = byNode.get(r.node) ?? [];
          list.push(guest);
          byNode.set(r.node, list);
        }),
      );
      for (const list of byNode.values()) list.sort((a, b) => a.vmid - b.vmid);
      return { at, nodes: new Set(nodes.map((n) => n.node)), byNode };
    },
  };
}
