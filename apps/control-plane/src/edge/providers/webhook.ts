import { createHmac } from "node:crypto";
import type { DesiredEdge } from "../desiredEdge";
import { EdgeProviderError, type EdgeProviderFactory } from "../provider";
import { readSettings } from "./settings";

/**
 * `kind: "webhook"`: POSTs JSON; any non-2xx answer (or none within `timeoutMs`) is a failure the edge pass
 * retries with backoff. With `secret` (or `secretFile`), X-ZLH-Signature carries `sha256=<hex HMAC of the
 * body>`. Push-only: the receiver cannot be read back, so its 2xx is the evidence.
 *
 * publish: `{action, server: {serverId, name, hostNode, vmid, gamePort, fqdn, address, port, records, route}}`,
 * where `address` and `port` are where the name routes a player (the provider's target: the edge's, or the
 * server's own) and `gamePort` the server's; unpublish: `{action, serverId, fqdn}`.
 */
export function publishBody(serverId: string, desired: DesiredEdge): Record<string, unknown> {
  const a = desired.records.find((r) => r.type === "A");
  const srv = desired.records.find((r) => r.type === "SRV");
  const { server } = desired;
  return {
    action: "publish",
    server: {
      serverId,
      name: server.name,
      hostNode: server.hostNode,
      vmid: server.vmid,
      gamePort: server.gamePort,
      fqdn: desired.fqdn,
      address: a?.address ?? null,
      port: srv?.port ?? null,
      records: desired.records,
      route: desired.route,
    },
  };
}

export const webhookFactory: EdgeProviderFactory = {
  kind: "webhook",
  create(name, settings, naming) {
    const read = readSettings("webhook", name, settings, ["url", "secret", "timeoutMs"]);
    const url = read.url("url");
    const secret = read.text("secret");
    if (secret !== null && secret === "") read.fail("secret", "must not be empty (the value is not shown).");
    const timeoutMs = read.timeoutMs(10_000);
    const where = new URL(url).host;
    const post = async (body: Record<string, unknown>, signal: AbortSignal) => {
      const text = JSON.stringify(body);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (secret) headers["x-zlh-signature"] = `sha256=${createHmac("sha256", secret).update(text).digest("hex")}`;
      let res: Response;
      try {
        res = await fetch(url, { method: "POST", headers, body: text, redirect: "error", signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
      } catch (e) {
        const timedOut = (e as Error).name === "TimeoutError";
        throw new EdgeProviderError(timedOut ? "timeout" : "unreachable", `${name}: ${timedOut ? `no answer from ${where} within ${timeoutMs} ms` : `could not reach ${where}`}.`);
      }
      await res.body?.cancel();
      if (!res.ok) throw new EdgeProviderError("http_error", `${name}: ${where} answered ${res.status}.`);
    };
    return {
      name,
      kind: "webhook",
      naming,
      publishes: "both",
      pushOnly: true,
      apply: (serverId, desired, signal) => post(publishBody(serverId, desired), signal),
      async remove(serverId, fqdn, signal) {
        await post({ action: "unpublish", serverId, fqdn }, signal);
        return "removed";
      },
      read: async () => null,
      list: async () => null,
    };
  },
};
