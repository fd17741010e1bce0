import type { NameTemplate } from "./naming";

/**
 * What the edge should hold for one server, derived from the database alone
 * (never read back from DNS as truth): its name, the DNS records that let a
 * player's client find it, and the proxy route. It changes only when the
 * server's row does (created, its address or port changed, deleted).
 */
export interface EdgeNaming {
  zone: string;
  template: NameTemplate;
  /**
   * Where public records point: a proxy or router in front of the hosts
   * (Velocity, mc-router), which routes a player by the name asked for. Null:
   * records point at the server's own address and port (an internal zone, or
   * hosts that players reach directly).
   */
  edge: { address: string; port: number } | null;
  /** Seconds; short, so that a moved server is found again quickly. */
  ttl: number;
}

export interface ServerForEdge {
  id: string;
  vmid: number;
  /** The server type (`fabric`). */
  type: string;
  /** The container's address; null while it is not known (a DHCP host that has not reported it). */
  address: string | null;
  gamePort: number;
  /** The server's own name (the customer's) and its host's Proxmox node, for receivers that want them (the webhook). */
  name?: string;
  hostNode?: string;
}

export type EdgeRecord =
  | { type: "A"; name: string; ttl: number; address: string }
  | { type: "SRV"; name: string; ttl: number; priority: number; weight: number; port: number; target: string };

export interface DesiredEdge {
  fqdn: string;
  /** Empty while the server's address is unknown: no record points anywhere it is not. */
  records: EdgeRecord[];
  /** Where a name-routing proxy (Velocity, mc-router) sends a player who asks for `fqdn`. */
  route: { host: string; address: string; port: number } | null;
  /** Who the edge is for: what a receiver without a zone of its own (the webhook) is told besides the records. */
  server: { id: string; name: string | null; hostNode: string | null; vmid: number; gamePort: number };
}

/** Where Minecraft's client looks for a name's SRV record (it asks for this first: the port travels in it). */
export function minecraftSrvName(fqdn: string): string {
  return `_minecraft._tcp.${fqdn}`;
}

/** The FQDN players connect to, and the records and route that make it work. */
export function desiredEdge(s: ServerForEdge, naming: EdgeNaming): DesiredEdge {
  const fqdn = `${naming.template.label({ vmid: s.vmid, type: s.type, serverId: s.id })}.${naming.zone}`;
  const server = { id: s.id, name: s.name ?? null, hostNode: s.hostNode ?? null, vmid: s.vmid, gamePort: s.gamePort };
  if (s.address === null) return { fqdn, records: [], route: null, server };
  // Through an edge the player connects to the edge (the proxy routes by name); direct, to the server itself.
  const target = naming.edge?.address ?? s.address;
  const port = naming.edge?.port ?? s.gamePort;
  return {
    fqdn,
    records: [
      { type: "A", name: fqdn, ttl: naming.ttl, address: target },
      { type: "SRV", name: minecraftSrvName(fqdn), ttl: naming.ttl, priority: 0, weight: 5, port, target: fqdn },
    ],
    route: { host: fqdn, address: s.address, port: s.gamePort },
    server,
  };
}
