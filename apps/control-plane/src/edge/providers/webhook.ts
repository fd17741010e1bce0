import { createHmac } from "node:crypto";
import { EdgeConfigError, EdgeProviderError, type EdgeProviderFactory } from "../provider";

/**
 * `kind: "webhook"`: POSTs `{action: "publish", server: {serverId, fqdn, address, gamePort, records, route}}`
 * and `{action: "unpublish", serverId, fqdn}` as JSON; any non-2xx answer (or none within `timeoutMs`) is a
 * failure the edge pass retries with backoff. With `secret` (or `secretFile`), X-ZLH-Signature carries
 * `sha256=<hex HMAC of the body>`. Push-only: the receiver cannot be read back, so its 2xx is the evidence.
 */
export const webhookFactory: EdgeProviderFactory = {
  kind: "webhook",
  create(name, settings) {
    const { url, secret, timeoutMs = 10_000, ...rest } = settings;
    if (Object.keys(rest).length > 0) throw new EdgeConfigError(`edge provider ${name}: unknown setting ${Object.keys(rest).join(", ")} for kind webhook.`);
    if (typeof url !== "string" || !/^https?:\/\/[^/\s]+/.test(url)) throw new EdgeConfigError(`edge provider ${name}: url must be an http:// or https:// URL.`);
    if (secret !== undefined && (typeof secret !== "string" || secret === "")) throw new EdgeConfigError(`edge provider ${name}: secret must be a non-empty string.`);
    if (typeof timeoutMs !== "number" || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 120_000) throw new EdgeConfigError(`edge provider ${name}: timeoutMs must be 1-120000.`);
    const where = new URL(url).host;
    const post = async (body: Record<string, unknown>, signal: AbortSignal) => {
      const text = JSON.stringify(body);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (secret) headers["x-zlh-signature"] = `sha256=${createHmac("sha256", secret).update(text).digest("hex")}`;
      let res: Response;
      try {
        res = await fetch(url, { method: "POST", headers, body: text, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
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
      pushOnly: true,
      async apply(serverId, desired, signal) {
        const address = desired.route?.address ?? null;
        await post({ action: "publish", server: { serverId, fqdn: desired.fqdn, address, gamePort: desired.route?.port ?? null, records: desired.records, route: desired.route } }, signal);
      },
      async remove(serverId, fqdn, signal) {
        await post({ action: "unpublish", serverId, fqdn }, signal);
        return "removed";
      },
      read: async () => null,
      list: async () => null,
    };
  },
};
