import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { CreateHostBody, EnrolledHost, ErrorBody, HostIdParams, HostList } from "@zlh/api";
import { enrollHost, listHosts, rotateAgentToken, setActor } from "@zlh/db";
import { HostNameTakenError, HostNotFoundError } from "@zlh/domain";
import { isoTime } from "../../servers/present";
import { newToken, sha256Hex } from "../../http/tokens";
import { isHostConnected } from "../../hosts/connectivity";

export default async function hostRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  const admin = { scope: "admin" as const };

  app.post(
    "/v1/hosts",
    { config: admin, schema: { tags: ["hosts"], summary: "Enrol a Proxmox host (its agent token is shown once)", body: CreateHostBody, response: { 201: EnrolledHost, 409: ErrorBody } } },
    async (request, reply) => {
      const { name, node, capacity } = request.body;
      const agentToken = newToken("zlha");
      const host = await app.deps.db.transaction(async (tx) => {
        await setActor(tx, request.client!.name);
        return enrollHost(tx, {
          name,
          node,
          agentTokenHash: sha256Hex(agentToken),
          memoryMib: capacity.memoryMiB,
          cpuCores: capacity.cpuCores,
          diskGib: capacity.diskGiB,
        });
      });
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
        ? await app.deps.db.transaction(async (tx) => {
            await setActor(tx, request.client!.name);
            return rotateAgentToken(tx, id, sha256Hex(agentToken));
          })
        : null;
      if (!host) throw new HostNotFoundError(request.params.id);
      request.log.info({ hostId: host.id }, "agent token rotated");
      return { ...host, agentToken };
    },
  );

  app.get("/v1/hosts", { schema: { tags: ["hosts"], summary: "List the hosts, their capacity and whether their agent is connected", response: { 200: HostList } } }, async () => {
    const rows = await listHosts(app.deps.db);
    const now = Date.now();
    return {
      items: rows.map((h) => ({
        id: h.id,
        name: h.name,
        node: h.node,
        connected: isHostConnected(h, now, app.deps.config.leaseTtlMs),
        lastHeartbeatAt: h.last_heartbeat_at ? isoTime(h.last_heartbeat_at) : null,
        capacity: { memoryMiB: h.memory_mib, cpuCores: h.cpu_cores, diskGiB: h.disk_gib },
        allocated: { memoryMiB: h.allocated_memory_mib, cpuCores: h.allocated_cpu_cores, diskGiB: h.allocated_disk_gib },
      })),
    };
  });
}
