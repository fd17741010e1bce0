import type { EdgeNaming } from "../../desiredEdge";
import type { EdgeProviderFactory } from "../../provider";
import { type HttpTarget, httpCall, providerError } from "../httpCall";
import { type RouteApi, routeListProvider, splitBackend } from "../routeList";
import { readSettings } from "../settings";

/**
 * itzg/mc-router's routes, through its REST API (server/api_server.go):
 * `GET /routes` answers `{"<serverAddress>": {"backend": "host:port",
 * "scalingTarget": ...}}` since v1.42.0 and `{"<serverAddress>": "host:port"}`
 * before it (both are read), `POST /routes {serverAddress, backend}` creates
 * or replaces a mapping (201), `DELETE /routes/{serverAddress}` answers 200,
 * or 404 when there was none. mc-router lowercases every server address.
 *
 * The API has no authentication at all: anyone who reaches it can route
 * players anywhere. Bind it (`-api-binding`) to a private address only the
 * control plane reaches, never the public one players connect to.
 */
function mcRouterApi(name: string, url: string, timeoutMs: number): RouteApi {
  const target: HttpTarget = { label: `mc-router provider ${JSON.stringify(name)} at ${url}`, timeoutMs, secrets: [] };
  const failed = (what: string, status: number) => providerError(target, status >= 500 ? "unavailable" : "rejected", `answered ${what} with HTTP ${status}.`);
  return {
    label: target.label,
    replaces: true,
    async list(signal) {
      const res = await httpCall(target, `${url}/routes`, { method: "GET", headers: { accept: "application/json" } }, signal);
      if (res.status !== 200) throw failed("GET /routes", res.status);
      if (typeof res.body !== "object" || res.body === null || Array.isArray(res.body)) throw providerError(target, "protocol", "answered GET /routes with something other than an object of routes.");
      return Object.entries(res.body as Record<string, unknown>).map(([serverAddress, route]) => {
        const raw = typeof route === "string" ? route : (route as { backend?: unknown } | null)?.backend;
        const backend = typeof raw === "string" ? splitBackend(raw) : null;
        return { fqdn: serverAddress.toLowerCase(), address: backend?.address ?? "", port: backend?.port ?? 0 };
      });
    },
    async put(route, signal) {
      const backend = route.address.includes(":") ? `[${route.address}]:${route.port}` : `${route.address}:${route.port}`;
      const res = await httpCall(target, `${url}/routes`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ serverAddress: route.fqdn, backend }) }, signal);
      if (res.status !== 201 && res.status !== 200) throw failed("POST /routes", res.status);
    },
    async delete(fqdn, signal) {
      const res = await httpCall(target, `${url}/routes/${encodeURIComponent(fqdn)}`, { method: "DELETE" }, signal);
      if (res.status === 404) return "absent";
      if (res.status !== 200) throw failed(`DELETE /routes/${fqdn}`, res.status);
      return "removed";
    },
  };
}

/** Settings: `url` (mc-router's API binding, such as http://10.0.0.2:8080), optional `timeoutMs` (5000). */
export const mcRouterFactory: EdgeProviderFactory = {
  kind: "mc-router",
  create(name, settings, naming: EdgeNaming) {
    const read = readSettings("mc-router", name, settings, ["url", "timeoutMs"]);
    return routeListProvider(name, "mc-router", mcRouterApi(name, read.url("url"), read.timeoutMs(5000)), naming);
  },
};
