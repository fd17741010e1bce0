import { apiClient, enrollHost, type Api } from "@zlh/testing";
import { ADMIN_TOKEN } from "./processes";

export type { Api } from "@zlh/testing";

export const api = (baseUrl: string, token = ADMIN_TOKEN): Api => apiClient(baseUrl, token);

/** Hosts of the end-to-end tests: room for every server a file makes. */
export const enroll = (call: Api, name: string) => enrollHost(call, name, { memoryMiB: 1_000_000, cpuCores: 1000, diskGiB: 100_000 });

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
