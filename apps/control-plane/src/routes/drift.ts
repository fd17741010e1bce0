import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { DriftIdParams, DriftItem, DriftList, DriftQuery, ErrorBody } from "@zlh/api";
import { acknowledgeDrift, listOpenDrift, listOpenEdgeDrift, type ListedDrift } from "@zlh/db";
import { DriftNotFoundError } from "@zlh/domain";
import { decodeCursor, encodeCursor } from "../servers/cursor";
import { isoTime } from "../servers/present";
import { nextCursorOf } from "../servers/page";

function presentDrift(d: ListedDrift) {
  return {
    id: d.id,
    kind: d.kind,
    hostId: d.host_id,
    vmid: d.vmid,
    ...(d.server_id ? { serverId: d.server_id } : {}),
    detectedAt: isoTime(d.detected_at),
    detail: d.detail,
    acknowledged: d.acknowledged_at && d.acknowledged_by ? { at: isoTime(d.acknowledged_at), by: d.acknowledged_by } : null,
  };
}

/** A name an edge provider holds without the platform's mark: it has no id (it cannot be acknowledged), and no host. */
function presentEdgeDrift(d: { provider: string; fqdn: string; detected_at: string; detail: Record<string, unknown> }) {
  return { kind: "edge_unowned" as const, detectedAt: isoTime(d.detected_at), detail: { provider: d.provider, fqdn: d.fqdn, ...d.detail }, acknowledged: null };
}

/** GET /v1/drift: open differences between the database and the hosts, a page at a time; items clear themselves when resolved. */
export default async function driftRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    "/v1/drift",
    {
      schema: {
        tags: ["drift"],
        operationId: "listDrift",
        summary: "Open differences between the database and what hosts (or Proxmox) and edge providers report, a page at a time; acknowledged ones only with include=acknowledged",
        querystring: DriftQuery,
        response: { 200: DriftList, 400: ErrorBody },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 100;
      const { cursor } = request.query;
      const { rows, more } = await listOpenDrift(app.deps.db, {
        afterId: cursor === undefined ? undefined : decodeCursor(cursor),
        limit,
        includeAcknowledged: request.query.include === "acknowledged",
      });
      // Names an edge provider holds in the platform's naming scheme without its mark (reported, never touched):
      // few, kept per provider and name rather than as drift items, so they come whole with the first page.
      const edge = cursor === undefined ? (await listOpenEdgeDrift(app.deps.db)).map(presentEdgeDrift) : [];
      return { items: [...rows.map(presentDrift), ...edge], nextCursor: nextCursorOf(rows, more, (last) => encodeCursor(last.id)) };
    },
  );

  app.post(
    "/v1/drift/:id/acknowledge",
    {
      config: { scope: "admin" },
      schema: {
        tags: ["drift"],
        operationId: "acknowledgeDrift",
        summary: "Acknowledge an open drift item (who and when are kept): it leaves the default list until it resolves",
        params: DriftIdParams,
        response: { 200: DriftItem, 404: ErrorBody },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (!/^[0-9]{1,18}$/.test(id)) throw new DriftNotFoundError(id);
      const item = await acknowledgeDrift(app.deps.db, id, request.client!.name);
      if (!item) throw new DriftNotFoundError(id);
      return presentDrift(item);
    },
  );
}
