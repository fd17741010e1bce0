import { ADMIN_TOKEN } from "./processes";

export type Api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: any }>;

export function api(baseUrl: string, token = ADMIN_TOKEN): Api {
  return async (method, path, body, headers = {}) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}

export async function enroll(call: Api, name: string): Promise<{ id: string; agentToken: string }> {
  const res = await call("POST", "/v1/hosts", { name, node: name, capacity: { memoryMiB: 1_000_000, cpuCores: 1000, diskGiB: 100_000 } });
  if (res.status !== 201) throw new Error(`enrol ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

let n = 0;
export async function createServer(call: Api, extra: Record<string, unknown> = {}, key = `e2e-${process.pid}-${n++}`) {
  const res = await call(
    "POST",
    "/v1/servers",
    { customerId: "e2e", name: `srv-${n}`, minecraftVersion: "1.21.1", memoryMiB: 1024, cpuCores: 1, diskGiB: 1, ...extra },
    { "idempotency-key": key },
  );
  if (res.status !== 202) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; vmid: number; ports: { game: number; rcon: number }; hostId: string };
}

export async function serverStatus(call: Api, id: string): Promise<string> {
  return (await call("GET", `/v1/servers/${id}`)).body.status;
}

export async function eventTypes(call: Api, id: string): Promise<string[]> {
  return (await call("GET", `/v1/servers/${id}/events`)).body.items.map((e: { type: string }) => e.type);
}
