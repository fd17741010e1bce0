/**
 * The one HTTP client of the tests: the control plane's API with a bearer
 * token, the body parsed. Used by the in-process harness
 * (apps/control-plane/test/harness.ts) and the end-to-end one
 * (test/support/api.ts) alike.
 */
// A test reads whatever the API answered.
export type Api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: any; headers: Record<string, string> }>;

/** `body` as given when a string (a test sending invalid JSON) or bytes (an upload), else JSON. */
export function apiClient(baseUrl: string, token: string): Api {
  return async (method, path, body, headers = {}) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: Object.fromEntries(res.headers) };
  };
}

/** Enrols a host through the API; its agent token is in the answer (shown once). */
export async function enrollHost(api: Api, name: string, capacity = { memoryMiB: 1_000_000, cpuCores: 4000, diskGiB: 1_000_000 }): Promise<{ id: string; agentToken: string }> {
  const res = await api("POST", "/v1/hosts", { name, node: name, capacity });
  if (res.status !== 201) throw new Error(`enrol ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; agentToken: string };
}
