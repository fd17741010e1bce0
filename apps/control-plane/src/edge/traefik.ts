import type { TraefikDynamicConfig } from "@zlh/api";
import type { RoutableServer } from "@zlh/db";
import { desiredEdge, type EdgeNaming } from "./desiredEdge";

/**
 * Traefik's dynamic configuration for the servers players can reach now,
 * derived from the database alone (Traefik polls it: nothing is pushed).
 *
 * One TCP router and service per server, `zlh-<label>`: the router listens
 * on entry point `zlh-<gamePort>` (one per port, declared in Traefik's
 * static configuration) with rule HostSNI(`*`) (Minecraft is plain TCP, so
 * there is no name to route by), the service forwards to the container's
 * address and game port. Two servers on different hosts can hold the same
 * game port; an entry point carries one of them, the one created first, and
 * the other gets no router (name-based routing is Velocity's or mc-router's).
 */
export function traefikConfig(servers: readonly RoutableServer[], naming: EdgeNaming): TraefikDynamicConfig {
  const routers: TraefikDynamicConfig["tcp"]["routers"] = {};
  const services: TraefikDynamicConfig["tcp"]["services"] = {};
  const takenPorts = new Set<number>();
  for (const s of servers) {
    if (takenPorts.has(s.game_port)) continue;
    takenPorts.add(s.game_port);
    const { route } = desiredEdge({ id: s.id, vmid: s.vmid, type: "fabric", address: s.address, gamePort: s.game_port }, naming);
    if (!route) continue;
    const name = `zlh-${route.host.slice(0, -(naming.zone.length + 1))}`;
    routers[name] = { entryPoints: [`zlh-${s.game_port}`], rule: "HostSNI(`*`)", service: name };
    services[name] = { loadBalancer: { servers: [{ address: `${route.address}:${route.port}` }] } };
  }
  return { tcp: { routers, services } };
}
