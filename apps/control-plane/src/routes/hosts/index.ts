import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { CreateHostBody, EnrolledHost, ErrorBody, HostIdParams, HostList } from "@zlh/api";
import { enrollHost, listHostsWithCounts, rotateAgentToken } from "@zlh/db";
import { HostNameTakenError, HostNotFoundError } from "@zlh/domain";
import { newToken, sha256Hex } from "../../http/tokens";
import { presentHost } from "../../hosts/presentHost";
import { asClient } from "../../db/asClient";

export default async function hostRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  const admin = { scope: "admin" as const };

  app.post(
    "/v1/hosts",
    { config: admin, schema: { tags: ["hosts"], summary: "Enrol a Proxmox host (its agent token is shown once)", body: CreateHostBody, response: { 201: EnrolledHost, 409: ErrorBody } } },
    async (request, reply) => {
      const { name, node, capacity } = request.body;
      const agentToken = newToken("zlha");
      const host = await asClient(app.deps.db, request.client!.name, (tx) =>
        enrollHost(tx, {
          name,
          node,
          agentTokenHash: sha256Hex(agentToken),
          memoryMib: capacity.memoryMiB,
          cpuCores: capacity.cpuCores,
          diskGib: capacity.diskGiB,
        }),
      );
      if (!host) throw new HostNameTakenError(name);
      request.log.info({ hostId: host.id }, "host enrolled");
      return reply.status(201).send({ id: host.id, name: host.name, node: host.node, agentToken });
    },
  );

  app.post(
    "/v1/hosts/:id/rotate-token",
    { config: admin, schema: { tags: ["hosts"], summary: "Replace the agent token (the old one stops working at once)", params: HostIdParams, response: { 200: EnrolledHost, 404: ErrorBody } } },
    async (request) => {
      const agentToken = newToken("zlha");
      const id = request.params.id;
      const host = /^[0-9a-f-]{36}$/.test(id)
        ? await asClient(app.deps.db, request.client!.name, (tx) => rotateAgentToken(tx, id, sha256Hex(agentToken)))
        : null;
      if (!host) throw new HostNotFoundError(request.params.id);
      request.log.info({ hostId: host.id }, "agent token rotated");
      return { ...host, agentToken };
    },
  );

  app.get("/v1/hosts", { schema: { tags: ["hosts"], summary: "List the hosts: capacity, connection, cordon state, servers held", response: { 200: HostList } } }, async () => {
    const now = Date.now();
    return { items: (await listHostsWithCounts(app.deps.db)).map((h) => presentHost(h, app.deps.config.leaseTtlMs, now)) };
  });
}
