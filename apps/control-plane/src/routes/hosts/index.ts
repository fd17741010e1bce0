import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { CreateHostBody, EnrolledHost, ErrorBody, Host, HostIdParams, HostList, HostNetworkBody, HostsQuery } from "@zlh/api";
import { enrollHost, listHostsWithCounts, rotateAgentToken, setHostNetwork } from "@zlh/db";
import { HostNameTakenError, HostNotFoundError, NetworkInUseError, validateHostNetwork } from "@zlh/domain";
import { newToken, sha256Hex } from "../../http/tokens";
import { presentHost, presentNetwork } from "../../hosts/presentHost";
import { asClient } from "../../db/asClient";
import { decodeTimeCursor, encodeTimeCursor } from "../../servers/cursor";
import { keysetPage } from "../../servers/page";

export default async function hostRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  const admin = { scope: "admin" as const };

  app.post(
    "/v1/hosts",
    { config: admin, schema: { tags: ["hosts"], operationId: "enrollHost", summary: "Enrol a Proxmox host (its agent token is shown once)", body: CreateHostBody, response: { 201: EnrolledHost, 409: ErrorBody, 422: ErrorBody } } },
    async (request, reply) => {
      const { name, node, capacity } = request.body;
      // Checked before the token exists or anything is written: a bad network is a 422 and no host.
      const network = request.body.network ? validateHostNetwork(request.body.network) : undefined;
      const agentToken = newToken("zlha");
      const host = await asClient(app.deps.db, request.client!.name, (tx) =>
        enrollHost(tx, {
          name,
          node,
          agentTokenHash: sha256Hex(agentToken),
          memoryMiB: capacity.memoryMiB,
          cpuCores: capacity.cpuCores,
          diskGiB: capacity.diskGiB,
          network,
        }),
      );
      if (!host) throw new HostNameTakenError(name);
      request.log.info({ hostId: host.id, networkMode: host.network_mode }, "host enrolled");
      return reply.status(201).send({ id: host.id, name: host.name, node: host.node, network: presentNetwork({ ...host, addresses: 0 }), agentToken });
    },
  );

  app.post(
    "/v1/hosts/:id/rotate-token",
    { config: admin, schema: { tags: ["hosts"], operationId: "rotateAgentToken", summary: "Replace the agent token (the old one keeps working for ZLH_AGENT_TOKEN_GRACE_MS)", params: HostIdParams, response: { 200: EnrolledHost, 404: ErrorBody } } },
    async (request) => {
      const agentToken = newToken("zlha");
      const id = request.params.id;
      const host = /^[0-9a-f-]{36}$/.test(id)
        ? await asClient(app.deps.db, request.client!.name, (tx) => rotateAgentToken(tx, id, sha256Hex(agentToken), app.deps.config.agentTokenGraceMs))
        : null;
      if (!host) throw new HostNotFoundError(request.params.id);
      request.log.info({ hostId: host.id, previousTokenExpiresAt: host.previousTokenExpiresAt }, "agent token rotated");
      return { ...host, agentToken };
    },
  );

  app.patch(
    "/v1/hosts/:id/network",
    {
      config: admin,
      schema: {
        tags: ["hosts"],
        operationId: "setHostNetwork", summary: "Replace a host's network settings (refused while servers hold addresses the new settings would not cover)",
        params: HostIdParams,
        body: HostNetworkBody,
        response: { 200: Host, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody },
      },
    },
    async (request) => {
      const id = request.params.id;
      const network = validateHostNetwork(request.body);
      const changed = /^[0-9a-f-]{36}$/.test(id) ? await asClient(app.deps.db, request.client!.name, (tx) => setHostNetwork(tx, id, network)) : { notFound: true as const };
      if ("notFound" in changed) throw new HostNotFoundError(id);
      if ("held" in changed) throw new NetworkInUseError(changed.held);
      request.log.info({ hostId: id, networkMode: network.mode }, "host network changed");
      const listed = (await listHostsWithCounts(app.deps.db)).find((h) => h.id === id);
      if (!listed) throw new HostNotFoundError(id);
      return presentHost(listed, app.deps.config.leaseTtlMs);
    },
  );

  app.get(
    "/v1/hosts",
    { schema: { tags: ["hosts"], operationId: "listHosts", summary: "List the hosts a page at a time: capacity, connection, cordon state, servers held", querystring: HostsQuery, response: { 200: HostList, 400: ErrorBody } } },
    async (request) => {
      const limit = request.query.limit ?? 100;
      const after = request.query.cursor === undefined ? undefined : decodeTimeCursor(request.query.cursor);
      const rows = await listHostsWithCounts(app.deps.db, { after, limit: limit + 1 });
      const { page, nextCursor } = keysetPage(rows, limit, (last) => encodeTimeCursor(last.created_key, last.id));
      const now = Date.now();
      return { items: page.map((h) => presentHost(h, app.deps.config.leaseTtlMs, now)), nextCursor };
    },
  );
}
