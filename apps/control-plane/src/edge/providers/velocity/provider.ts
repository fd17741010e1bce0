import { createHash } from "node:crypto";
import type { EdgeNaming } from "../../desiredEdge";
import type { EdgeProviderFactory } from "../../provider";
import { type HttpTarget, httpCall, providerError } from "../httpCall";
import { type Route, type RouteApi, routeListProvider } from "../routeList";
import { readSettings } from "../settings";

/**
 * A Velocity proxy's backends, through the zpack bridge plugin's HTTP API:
 * `POST /zpack/register {server_name, address, port}`, `POST
 * /zpack/unregister {server_name}` (404: already gone), `GET /zpack/list`
 * (`{servers: [{name, address, port}]}`), each with `X-Zpack-Secret: <sha256
 * hex of the shared secret>`. A server is registered under its FQDN, the
 * name players connect with (the plugin's forced host). Ownership by the
 * naming scheme (routeList.ts): the plugin's list holds nothing else.
 */
function velocityApi(name: string, url: string, secret: string, timeoutMs: number): RouteApi {
  const header = createHash("sha256").update(secret).digest("hex");
  const target: HttpTarget = { label: `velocity provider ${JSON.stringify(name)} at ${url}`, timeoutMs, secrets: [secret, header] };
  const call = async (method: string, path: string, body: unknown, signal: AbortSignal) => {
    const headers: Record<string, string> = { "x-zpack-secret": header, accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await httpCall(target, `${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }, signal);
    if (res.status === 401 || res.status === 403) throw providerError(target, "unauthorized", `refused the shared secret (HTTP ${res.status}): the plugin's secret and this provider's differ.`);
    return res;
  };
  const failed = (path: string, status: number) => providerError(target, status >= 500 ? "unavailable" : "rejected", `answered ${path} with HTTP ${status}.`);
  return {
    label: target.label,
    replaces: false,
    async list(signal) {
      const res = await call("GET", "/zpack/list", undefined, signal);
      if (res.status !== 200) throw failed("/zpack/list", res.status);
      const servers = (res.body as { servers?: unknown } | undefined)?.servers;
      if (!Array.isArray(servers)) throw providerError(target, "protocol", "answered /zpack/list without a servers array.");
      return servers.flatMap((s: { name?: unknown; address?: unknown; port?: unknown }): Route[] =>
        typeof s?.name === "string" ? [{ fqdn: s.name.toLowerCase(), address: typeof s.address === "string" ? s.address : "", port: typeof s.port === "number" ? s.port : 0 }] : [],
      );
    },
    async put(route, signal) {
      const res = await call("POST", "/zpack/register", { server_name: route.fqdn, address: route.address, port: route.port }, signal);
      if (res.status === 409) throw providerError(target, "conflict", `already holds a server named ${route.fqdn} (HTTP 409): it was registered between the list and this call; the next pass sees it.`);
      if (res.status < 200 || res.status > 299) throw failed("/zpack/register", res.status);
    },
    async delete(fqdn, signal) {
      const res = await call("POST", "/zpack/unregister", { server_name: fqdn }, signal);
      if (res.status === 404) return "absent";
      if (res.status < 200 || res.status > 299) throw failed("/zpack/unregister", res.status);
      return "removed";
    },
  };
}

/** Settings: `url` (the plugin's HTTP API), `secret` (the shared secret, as the plugin's config holds it), optional `timeoutMs` (5000). */
export const velocityFactory: EdgeProviderFactory = {
  kind: "velocity",
  create(name, settings, naming: EdgeNaming) {
    const read = readSettings("velocity", name, settings, ["url", "secret", "timeoutMs"]);
    const url = read.url("url");
    const secret = read.secret("secret", 16);
    return routeListProvider(name, "velocity", velocityApi(name, url, secret, read.timeoutMs(5000)), naming);
  },
};
