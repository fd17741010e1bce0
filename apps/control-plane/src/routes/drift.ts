import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { DriftIdParams, DriftItem, DriftList, DriftQuery, ErrorBody } from "@zlh/api";
import { acknowledgeDrift, listOpenDrift, type ListedDrift } from "@zlh/db";
import { DriftNotFoundError, InvalidRequestError } from "@zlh/domain";
import { decodeCursor, encodeCursor } from "../servers/cursor";
import { isoTime } from "../servers/present";

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

/** GET /v1/drift: open differences between the database and the hosts, a page at a time; items clear themselves when resolved. */
export default async function driftRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    "/v1/drift",
    {
      schema: {
        tags: ["drift"],
        summary: "Open differences between the database and what hosts (or Proxmox) report, a page at a time; acknowledged ones only with include=acknowledged",
        querystring: DriftQuery,
        response: { 200: DriftList, 400: ErrorBody },
      },
    },
    async (request) => {
      const limit = request.query.limit === undefined ? 100 : Number(request.query.limit);
      if (!(limit >= 1 && limit <= 500)) throw new InvalidRequestError("limit must be between 1 and 500.");
      const { cursor } = request.query;
      const { rows, more } = await listOpenDrift(app.deps.db, {
        afterId: cursor === undefined ? undefined : decodeCursor(cursor),
        limit,
        includeAcknowledged: request.query.include === "acknowledged",
      });
      const last = rows.at(-1);
      return { items: rows.map(presentDrift), nextCursor: more && last ? encodeCursor(last.id) : null };
    },
  );

  app.post(
    "/v1/drift/:id/acknowledge",
    {
      config: { scope: "admin" },
      schema: {
        tags: ["drift"],
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
