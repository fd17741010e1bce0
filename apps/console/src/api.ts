import { createZlhClient, ZlhApiError, type ErrorCode, type ZlhClient } from "@zlh/client";
import type { components } from "@zlh/client";

export type Caller = components["schemas"]["Caller"];
export type { ZlhClient };

/** What the console does with every answer: the data, or a ZlhApiError whose 401 signs the user out. */
export interface Api {
  client: ZlhClient;
  token: string;
  caller: Caller;
  /** The data of an openapi-fetch call, or throws its error (and signs out on 401). */
  call<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T>;
  /** The token no longer works: back to the sign-in page, saying why. */
  expire(message: string): void;
}

export function newClient(token: string): ZlhClient {
  return createZlhClient({ baseUrl: location.origin, token, maxRetries: 2, maxDelayMs: 5000 });
}

/** The API's error of a failed openapi-fetch answer (a body without `error` still gets a code and sentence). */
export function errorOf(response: Response, body: unknown): ZlhApiError {
  const ok = typeof body === "object" && body !== null && "error" in body && "message" in body;
  return new ZlhApiError(response.status, ok ? (body as { error: ErrorCode; message: string }) : { error: "internal_error", message: `The control plane answered ${response.status}.` });
}

export function makeApi(client: ZlhClient, token: string, caller: Caller, expire: (message: string) => void): Api {
  return {
    client,
    token,
    caller,
    expire,
    async call(request) {
      const { data, error, response } = await request;
      if (response.ok) return data as never;
      const err = errorOf(response, error);
      if (response.status === 401) expire(err.body.message);
      throw err;
    },
  };
}

/** What the caller's scope allows, so the console hides what would only end in 403. */
export function mayOperate(caller: Caller): boolean {
  return caller.scope === "panel" || caller.scope === "admin";
}

export function mayAdminister(caller: Caller): boolean {
  return caller.scope === "admin";
}

/** One server, as openapi-fetch types the answer (the shape every server component takes). */
export function getServer(api: Api, id: string) {
  return api.call(api.client.api.GET("/v1/servers/{id}", { params: { path: { id } } }));
}
export type ServerView = Awaited<ReturnType<typeof getServer>>;

/** A page of servers. */
export function serverPage(api: Api, cursor: string | undefined) {
  return api.client.api.GET("/v1/servers", { params: { query: { limit: 500, ...(cursor ? { cursor } : {}) } } });
}
