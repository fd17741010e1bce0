import Cloudflare from "cloudflare";
import type { EdgeProviderError } from "../../provider";
import { type HttpTarget, providerError } from "../httpCall";

/**
 * The SDK's failures as the edge's codes, with Cloudflare's own error codes
 * and messages (`errors: [{code, message}]`) in the sentence: they name the
 * problem (10000 Authentication error, 9109 Invalid access token, 81057
 * record already exists) and never the token.
 */
export function cloudflareFailure(target: HttpTarget, what: string, e: unknown, callerAborted: boolean, timedOut: boolean): EdgeProviderError {
  if (e instanceof Cloudflare.APIUserAbortError || e instanceof Cloudflare.APIConnectionTimeoutError) {
    if (callerAborted) return providerError(target, "aborted", `was not answered while ${what}: the caller gave up.`);
    return providerError(target, "timeout", `did not answer while ${what} within ${target.timeoutMs} ms.`);
  }
  if (e instanceof Cloudflare.APIConnectionError) {
    if (timedOut) return providerError(target, "timeout", `did not answer while ${what} within ${target.timeoutMs} ms.`);
    const cause = (e.cause as { cause?: { code?: string } } | undefined)?.cause?.code;
    return providerError(target, "unreachable", `could not be reached while ${what}${cause ? ` (${cause})` : ""}.`);
  }
  if (e instanceof Cloudflare.APIError) {
    const said = (e.errors ?? []).map((x) => `${x.code} ${x.message}`).join("; ") || "no error detail";
    const status = e.status ?? 0;
    if (status === 401 || status === 403) return providerError(target, "unauthorized", `refused the API token while ${what} (HTTP ${status}: ${said}): it needs Zone.DNS Edit on this zone.`);
    if (status === 429) {
      const after = e.headers?.get("retry-after");
      return providerError(target, "rate_limited", `is rate-limiting this token (HTTP 429: ${said})${after ? `; retry after ${after} s` : ""}.`);
    }
    if (status >= 500) return providerError(target, "unavailable", `failed while ${what} (HTTP ${status}: ${said}).`);
    return providerError(target, "rejected", `refused ${what} (HTTP ${status}: ${said}).`);
  }
  throw e;
}
