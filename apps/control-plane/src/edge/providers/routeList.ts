import type { DesiredEdge, EdgeNaming } from "../desiredEdge";
import { EdgeProviderError, type EdgeProvider, NAMED_OWNER, type ObservedName } from "../provider";
import { namedByScheme } from "./namingOwnership";

/**
 * What the name-routing proxies share (Velocity's bridge, mc-router): a list
 * of routes, name -> backend, with nothing to mark a route with, so
 * ownership is the naming scheme's (namingOwnership.ts). apply reads the
 * list and writes only what differs, never under a name outside the scheme;
 * remove deletes a route the pass published (it says `absent` when it was
 * not there), and the pass never removes one another live server wants.
 */
export interface Route {
  fqdn: string;
  address: string;
  port: number;
}

export interface RouteApi {
  label: string;
  list(signal: AbortSignal): Promise<Route[]>;
  /** Adds the route, or replaces the one by that name when the API can (`replaces`). */
  put(route: Route, signal: AbortSignal): Promise<void>;
  /** Whether `put` replaces an existing route by the same name; when not, a changed route is deleted first. */
  replaces: boolean;
  /** `absent` when the API said there was no such route. */
  delete(fqdn: string, signal: AbortSignal): Promise<"removed" | "absent">;
}

export function routeListProvider(name: string, kind: string, api: RouteApi, naming: EdgeNaming): EdgeProvider {
  const ours = namedByScheme(naming);
  const observe = (r: Route): ObservedName => ({ fqdn: r.fqdn, owner: ours(r.fqdn) ? NAMED_OWNER : null, records: [], route: { address: r.address, port: r.port } });
  const refuse = (fqdn: string) => new EdgeProviderError("not_owner", `${api.label}: ${fqdn} is not a name the naming template ${naming.template.source} makes under ${naming.zone}: left alone (edge drift).`);
  const find = async (fqdn: string, signal: AbortSignal) => (await api.list(signal)).find((r) => r.fqdn === fqdn) ?? null;
  const normal = (fqdn: string) => fqdn.toLowerCase().replace(/\.$/, "");

  return {
    name,
    kind,
    naming,
    publishes: "route",
    async apply(_serverId, desired: DesiredEdge, signal) {
      const fqdn = normal(desired.fqdn);
      if (!ours(fqdn)) throw refuse(fqdn);
      const have = await find(fqdn, signal);
      if (desired.route === null) {
        // No address known yet: nothing may point anywhere.
        if (have) await api.delete(fqdn, signal);
        return;
      }
      const want: Route = { fqdn, address: desired.route.address, port: desired.route.port };
      if (have && have.address === want.address && have.port === want.port) return;
      if (have && !api.replaces) await api.delete(fqdn, signal);
      await api.put(want, signal);
    },
    // Not judged by today's scheme: the pass removes only names it published, under a template or zone since
    // changed too (edge_publications.applied_fqdn). Something that is not a DNS name was never one of them.
    async remove(_serverId, fqdn, signal) {
      const n = normal(fqdn);
      if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(n)) throw refuse(n);
      return api.delete(n, signal);
    },
    async read(fqdn, signal) {
      const r = await find(normal(fqdn), signal);
      return r ? observe(r) : null;
    },
    async list(signal) {
      return (await api.list(signal)).map(observe).sort((a, b) => a.fqdn.localeCompare(b.fqdn));
    },
  };
}

/** `host:port` as a backend, split; null when it is not one. */
export function splitBackend(backend: string): { address: string; port: number } | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):(\d{1,5})$/.exec(backend.trim());
  if (!m) return null;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { address: m[1]!.replace(/^\[|\]$/g, ""), port } : null;
}
