import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { DriftList } from "@zlh/api";
import { listOpenDrift, listOpenEdgeDrift } from "@zlh/db";
import { isoTime } from "../servers/present";

/** GET /v1/drift: open differences between the database and the hosts; items clear themselves when resolved. */
export default async function driftRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.get("/v1/drift", { schema: { tags: ["drift"], operationId: "listDrift", summary: "Open differences between the database and what hosts (or Proxmox) and edge providers report", response: { 200: DriftList } } }, async () => ({
    items: [
      ...(await listOpenDrift(app.deps.db)).map((d) => ({
        kind: d.kind,
        hostId: d.host_id,
        vmid: d.vmid,
        ...(d.server_id ? { serverId: d.server_id } : {}),
        detectedAt: isoTime(d.detected_at),
        detail: d.detail,
      })),
      // Names an edge provider holds in the platform's naming scheme without its mark: reported, never touched.
      ...(await listOpenEdgeDrift(app.deps.db)).map((d) => ({ kind: "edge_unowned" as const, detectedAt: isoTime(d.detected_at), detail: { provider: d.provider, fqdn: d.fqdn, ...d.detail } })),
    ],
  }));
}
