import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { DrainReport, ErrorBody, Host, HostIdParams } from "@zlh/api";
import { listHostsWithCounts, removeEmptyHost, serversHeldBy, setHostCordon } from "@zlh/db";
import { HostNotEmptyError, HostNotFoundError } from "@zlh/domain";
import { asClient } from "../../db/asClient";
import { presentHost } from "../../hosts/presentHost";

const isUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id);

/**
 * Host maintenance (admin): cordon and uncordon (placement skips a cordoned
 * host; what runs there keeps running), drain (cordon, and list what is still
 * there), and removal of an empty host.
 */
export default async function hostMaintenanceRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const config = { scope: "admin" as const };
  const schema = { tags: ["hosts"], params: HostIdParams };

  async function cordon(id: string, cordoned: boolean, reason: string, client: string) {
    const host = isUuid(id) ? await asClient(app.deps.db, client, (tx) => setHostCordon(tx, id, cordoned, reason)) : null;
    if (!host) throw new HostNotFoundError(id);
    const listed = (await listHostsWithCounts(app.deps.db)).find((h) => h.id === id);
    if (!listed) throw new HostNotFoundError(id);
    return presentHost(listed, app.deps.config.leaseTtlMs);
  }

  for (const [action, cordoned] of [["cordon", true], ["uncordon", false]] as const) {
    app.post(
      `/v1/hosts/:id/${action}`,
      {
        config,
        schema: { ...schema, operationId: `${action}Host`, summary: cordoned ? "Cordon a host: no new servers are placed on it" : "Lift a cordon: the host takes new servers again", response: { 200: Host, 404: ErrorBody } },
      },
      async (request) => {
        const host = await cordon(request.params.id, cordoned, action, request.client!.name);
        request.log.info({ hostId: host.id }, `host ${action}ed`);
        return host;
      },
    );
  }

  app.post(
    "/v1/hosts/:id/drain",
    { config, schema: { ...schema, operationId: "drainHost", summary: "Drain a host: cordon it and list the servers still on it", response: { 200: DrainReport, 404: ErrorBody } } },
    async (request) => {
      const host = await cordon(request.params.id, true, "drain", request.client!.name);
      const remaining = await serversHeldBy(app.deps.db, host.id);
      request.log.info({ hostId: host.id, remaining: remaining.length }, "host draining");
      return { host, remaining };
    },
  );

  app.delete(
    "/v1/hosts/:id",
    {
      config,
      schema: { ...schema, operationId: "removeHost", summary: "Remove an empty host (its agent token stops working); refused while it holds servers", response: { 200: Host, 404: ErrorBody, 409: ErrorBody } },
    },
    async (request) => {
      const id = request.params.id;
      const outcome = isUuid(id) ? await asClient(app.deps.db, request.client!.name, (tx) => removeEmptyHost(tx, id)) : null;
      if (!outcome) throw new HostNotFoundError(id);
      if ("refused" in outcome) throw new HostNotEmptyError(outcome.refused);
      request.log.info({ hostId: id }, "host removed");
      return presentHost({ ...outcome.removed, servers: 0, running: 0, addresses: 0 }, app.deps.config.leaseTtlMs);
    },
  );
}
