import { EdgeProviderError } from "../provider";

/** One HTTP API a provider talks to: named in every error, with the secrets no error may contain. */
export interface HttpTarget {
  /** `velocity provider "velocity" at http://10.0.0.9:8080`: how sentences name it. */
  label: string;
  timeoutMs: number;
  /** Redacted from every message, should an upstream sentence ever echo one. */
  secrets: readonly string[];
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** The parsed JSON body; undefined when the body was empty. */
  body: unknown;
}

/** The most a provider reads of one answer: a zone or route list of 50,000 names is a few MiB. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export function redact(target: HttpTarget, text: string): string {
  let out = text;
  for (const s of target.secrets) if (s.length > 0) out = out.split(s).join("[redacted]");
  return out;
}

export function providerError(target: HttpTarget, code: string, sentence: string): EdgeProviderError {
  // Upstream sentences (an errorMessage) may end without a full stop; ours always end with one.
  const text = /[.!?]$/.test(sentence.trim()) ? sentence.trim() : `${sentence.trim()}.`;
  return new EdgeProviderError(code, redact(target, `${target.label} ${text}`));
}

/**
 * One request within the provider's deadline and the caller's signal. A
 * connection that fails is `unreachable`, no full answer in time is
 * `timeout`, the caller giving up is `aborted`, a body that is not JSON is
 * `protocol`; the status is the caller's to judge.
 */
export async function httpCall(target: HttpTarget, url: string, init: RequestInit, signal: AbortSignal): Promise<HttpAnswer> {
  const deadline = AbortSignal.timeout(target.timeoutMs);
  const both = AbortSignal.any([signal, deadline]);
  const path = new URL(url).pathname;
  const failed = (e: unknown): EdgeProviderError => {
    if (signal.aborted) return providerError(target, "aborted", `was not answered: the caller gave up (${init.method ?? "GET"} ${path}).`);
    if (deadline.aborted) return providerError(target, "timeout", `did not answer ${init.method ?? "GET"} ${path} within ${target.timeoutMs} ms.`);
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return providerError(target, "unreachable", `could not be reached (${cause?.code ?? cause?.message ?? (e as Error).message}).`);
  };
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: both, redirect: "error" });
  } catch (e) {
    throw failed(e);
  }
  let text: string;
  try {
    const length = Number(res.headers.get("content-length") ?? 0);
    if (length > MAX_BODY_BYTES) throw providerError(target, "protocol", `answered ${path} with ${length} bytes; at most ${MAX_BODY_BYTES} are read.`);
    text = await res.text();
  } catch (e) {
    if (e instanceof EdgeProviderError) throw e;
    throw failed(e);
  }
  if (text.length > MAX_BODY_BYTES) throw providerError(target, "protocol", `answered ${path} with more than ${MAX_BODY_BYTES} bytes.`);
  if (text.trim() === "") return { status: res.status, headers: res.headers, body: undefined };
  try {
    return { status: res.status, headers: res.headers, body: JSON.parse(text) };
  } catch {
    // A proxy's HTML error page, say: the status still tells the caller most.
    if (!res.ok) return { status: res.status, headers: res.headers, body: undefined };
    throw providerError(target, "protocol", `answered ${path} with a body that is not JSON (HTTP ${res.status}).`);
  }
}
