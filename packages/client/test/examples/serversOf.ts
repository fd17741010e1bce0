import { createZlhClient } from "@zlh/client";

/** The names of every server of one customer, however many pages they take. */
export async function serversOf(baseUrl: string, token: string, customerId: string): Promise<string[]> {
  const zlh = createZlhClient({ baseUrl, token });
  const names: string[] = [];
  const pages = zlh.paginate((cursor) => zlh.api.GET("/v1/servers", { params: { query: { customerId, cursor, limit: 2 } } }));
  for await (const server of pages) names.push(server.name);
  return names;
}
