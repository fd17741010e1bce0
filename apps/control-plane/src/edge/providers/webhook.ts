import { createHmac } from "node:crypto";
import type { DesiredEdge } from "../desiredEdge";
import { EdgeProviderError, type EdgeProviderFactory } from "../provider";
import { readSettings } from "./settings";

/** A short secret can be guessed offline from one captured call; 32 characters is what `openssl rand -base64 24` gives. */
export const WEBHOOK_SECRET_MIN_LENGTH = 32;

/**
 * The signature of one call: HMAC-SHA256 over `<timestamp>.<body>`, so a receiver that refuses a stale
 * X-ZLH-Timestamp (docs: more than 5 minutes off) cannot be fed a captured call again later, and the
 * timestamp cannot be changed without breaking the signature.
 */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** Plain http:// carries the signed body and the records in clear: allowed only to this machine. */
function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * `kind: "webhook"`: POSTs JSON; any non-2xx answer (or none within `timeoutMs`) is a failure the edge pass
 * retries with backoff. With `secret` (or `secretFile`, at least 32 characters), X-ZLH-Timestamp carries the
 * call's Unix time in seconds and X-ZLH-Signature `sha256=<hex HMAC of "<timestamp>.<body>">`. The URL must
 * be https:// unless it is a loopback address. Push-only: the receiver cannot be read back, so its 2xx is the
 * evidence.
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
    if (new URL(url).protocol === "http:" && !isLoopbackHost(new URL(url).hostname)) {
      read.fail("url", "must be an https:// URL: plain http:// is allowed only to a loopback address (127.0.0.1, ::1, localhost), since the call carries the signed records in clear.");
    }
    const secret = read.text("secret") === null ? null : read.secret("secret", WEBHOOK_SECRET_MIN_LENGTH);
    const timeoutMs = read.timeoutMs(10_000);
    const where = new URL(url).host;
    const post = async (body: Record<string, unknown>, signal: AbortSignal) => {
      const text = JSON.stringify(body);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (secret) {
        const timestamp = Math.floor(Date.now() / 1000);
        headers["x-zlh-timestamp"] = String(timestamp);
        headers["x-zlh-signature"] = webhookSignature(secret, timestamp, text);
      }
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
