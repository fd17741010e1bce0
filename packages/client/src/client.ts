import createClient from "openapi-fetch";
import { followEvents, type FollowOptions } from "./events";
import { paginate } from "./paginate";
import { retryingFetch, type RetryOptions } from "./retry";
import type { paths } from "./schema";

export interface ZlhClientOptions extends RetryOptions {
  /** The control plane, e.g. https://cp.example.net:3000 */
  baseUrl: string;
  /** An API token (ZLH_API_TOKENS or POST /v1/api-tokens). */
  token: string;
  /** The fetch underneath (default globalThis.fetch). */
  fetch?: (request: Request) => Promise<Response>;
  /** Makes the Idempotency-Key of a write that has none (default crypto.randomUUID). */
  idempotencyKey?: () => string;
}

const WRITES = new Set(["POST", "PATCH", "PUT", "DELETE"]);

/**
 * The control plane's API, typed from its OpenAPI document (openapi-fetch
 * over ./schema.d.ts), with what every panel repeats: the bearer token;
 * an Idempotency-Key on every write that has none, made once per call and
 * sent again with each retry; retries on 429 and 503 honouring Retry-After
 * (bounded); a pagination iterator; and the event stream as an iterator
 * that resumes.
 */
export function createZlhClient(options: ZlhClientOptions) {
  const base = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const fetch = retryingFetch(base, options);
  const api = createClient<paths>({ baseUrl: options.baseUrl, fetch, headers: { authorization: `Bearer ${options.token}` } });
  const newKey = options.idempotencyKey ?? (() => crypto.randomUUID());
  api.use({
    onRequest({ request }) {
      if (WRITES.has(request.method) && !request.headers.has("idempotency-key")) request.headers.set("idempotency-key", newKey());
      return request;
    },
  });
  return {
    /** openapi-fetch: `api.GET("/v1/servers/{id}", { params: { path: { id } } })` answers `{ data, error, response }`. */
    api,
    paginate,
    /** The event feed live; see followEvents. */
    events: (follow: FollowOptions = {}) => followEvents({ baseUrl: options.baseUrl, token: options.token, fetch }, follow),
  };
}

/** @public */
export type ZlhClient = ReturnType<typeof createZlhClient>;
