import { createZlhClient, ZlhApiError, type EventType } from "@zlh/client";

/**
 * Creates a server (once, however often this runs with the same key) and
 * follows its events until it has been placed on a host.
 */
export async function createAndWatch(baseUrl: string, token: string, key: string) {
  const zlh = createZlhClient({ baseUrl, token });
  const { data: server, error, response } = await zlh.api.POST("/v1/servers", {
    params: { header: { "idempotency-key": key } },
    body: { customerId: "cust-1", name: "survival", minecraftVersion: "1.21.1", memoryMiB: 2048, cpuCores: 2, diskGiB: 10 },
  });
  if (error) throw new ZlhApiError(response.status, error);
  const seen: EventType[] = [];
  for await (const event of zlh.events({ serverId: server.id })) {
    seen.push(event.type);
    if (event.type === "server.requested") break;
  }
  return { server, seen };
}
