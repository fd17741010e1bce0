import type { FastifyInstance, FastifyRequest } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { ErrorBody, HeldModpackList, HeldModpackQuery, ModpackIdParams, ModpackUpload, ModpackUploadQuery } from "@zlh/api";
import { listModpackUploads, removeModpackUpload } from "@zlh/db";
import { ModpackInUseError, ModpackNotFoundError, TooManyUploadsError } from "@zlh/domain";
import { assertIdShape } from "../http/pathIds";
import { presentHeldModpack, uploadCursor } from "../modpacks/heldModpacks";
import { readUploadBody } from "../modpacks/uploadBody";
import { receiveUpload } from "../modpacks/receiveUpload";
import { UploadSlots } from "../modpacks/uploadSlots";
import { MODPACK_UPLOAD_ROUTE, PACK_MEDIA_TYPES } from "./modpackMedia";
import { keysetPage } from "../servers/page";

const tags = ["modpacks"];

/**
 * A customer's uploaded `.mrpack`s. `POST /v1/modpacks`: the pack as the raw
 * body, at most ZLH_MODPACK_MAX_BYTES (413 over it, as soon as that is
 * known), at most ZLH_MODPACK_UPLOAD_CONCURRENCY received at once (503 with
 * Retry-After before the body is read), hashed as it arrives; read to the
 * format and checked (422 with the reason) before it is stored,
 * content-addressed by sha512, so uploading the same pack again is the same
 * answer; refused (409) past the customer's ZLH_MODPACK_CUSTOMER_QUOTA_BYTES.
 * It is uploaded for a customer (`?customerId=`): only that customer's
 * servers are then created from it (or changed to it) with
 * `"modpack": { "upload": "<sha512>" }`. `GET` lists what a customer holds,
 * `DELETE /v1/modpacks/:id` gives one up (409 while a server needs it).
 */
export default async function modpackRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { modpackMaxBytes: maxBytes, modpackCustomerQuotaBytes: quotaBytes, modpackRetentionMs: retentionMs } = app.deps.config;
  const slots = new UploadSlots(app.deps.config.modpackUploadConcurrency);
  const slotOf = new WeakMap<FastifyRequest, () => void>();
  app.addContentTypeParser(PACK_MEDIA_TYPES, async (request: { headers: Record<string, string | string[] | undefined> }, payload: AsyncIterable<Buffer>) => {
    const declared = Number(request.headers["content-length"] ?? Number.NaN);
    return readUploadBody(payload, Number.isSafeInteger(declared) && declared >= 0 ? declared : null, maxBytes);
  });
  app.post(
    MODPACK_UPLOAD_ROUTE,
    {
      config: { scope: "panel" },
      // After authentication (the /v1 scope's hook), before the body is read: a full process answers at once.
      onRequest: async (request, reply) => {
        const release = slots.tryTake();
        if (!release) throw new TooManyUploadsError(`${slots.size} uploads are being received already (ZLH_MODPACK_UPLOAD_CONCURRENCY); try again after Retry-After.`);
        slotOf.set(request, release);
        reply.raw.once("close", release); // a body refused, or a client that hung up: the handler never ran
      },
      schema: {
        tags,
        operationId: "uploadModpack",
        summary: "Upload a Modrinth modpack (.mrpack) to create servers from",
        description: `The raw .mrpack as the body (Content-Type ${PACK_MEDIA_TYPES.join(", ")}), at most ZLH_MODPACK_MAX_BYTES. Refused with 422 modpack_invalid or modpack_loader_unsupported and the reason, 409 modpack_quota_exceeded past the customer's ZLH_MODPACK_CUSTOMER_QUOTA_BYTES, 503 too_many_uploads (with Retry-After) while ZLH_MODPACK_UPLOAD_CONCURRENCY uploads are being received; nothing is stored then.`,
        consumes: PACK_MEDIA_TYPES,
        querystring: ModpackUploadQuery,
        response: { 201: ModpackUpload, 400: ErrorBody, 409: ErrorBody, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      try {
        const answer = await receiveUpload(app.deps.db, quotaBytes, { received: request.body, customerId: request.query.customerId, callerId: request.client!.name }, request.log);
        return reply.status(201).send(answer);
      } finally {
        slotOf.get(request)?.(); // the answer is written, not yet read: a client that has it may upload again at once
      }
    },
  );

  app.get(
    MODPACK_UPLOAD_ROUTE,
    {
      schema: {
        tags,
        operationId: "listModpacks",
        summary: "The packs a customer holds (uploaded, not yet swept or deleted), newest upload first, a page at a time",
        querystring: HeldModpackQuery,
        response: { 200: HeldModpackList, 400: ErrorBody },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const after = request.query.cursor === undefined ? undefined : uploadCursor.decode(request.query.cursor);
      const rows = await listModpackUploads(app.deps.db, request.query.customerId, { after, limit: limit + 1 });
      const { page, nextCursor } = keysetPage(rows, limit, (last) => uploadCursor.encode(last.uploaded_at, last.sha512));
      return { items: page.map((r) => presentHeldModpack(r, retentionMs)), nextCursor };
    },
  );

  app.delete(
    `${MODPACK_UPLOAD_ROUTE}/:id`,
    {
      config: { scope: "panel" },
      schema: {
        tags,
        operationId: "deleteModpack",
        summary: "Give up a customer's upload: its bytes go unless another customer or a live server still needs them",
        description: "Refused with 409 modpack_in_use while one of the customer's live servers runs the pack, asks for it or could roll back to it; 404 modpack_not_found when the customer holds no such upload (an id that is not a sha512 is not found either).",
        params: ModpackIdParams,
        querystring: ModpackUploadQuery,
        response: { 204: { type: "null", description: "Deleted." }, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { customerId } = request.query;
      const notFound = (x: string) => new ModpackNotFoundError(`This customer has no uploaded modpack ${JSON.stringify(x)}.`);
      assertIdShape("sha512", id, notFound);
      const outcome = await removeModpackUpload(app.deps.db, id, customerId);
      if (outcome === "not_found") throw notFound(id);
      if (outcome === "in_use") throw new ModpackInUseError(`A live server of this customer runs the modpack ${id}, asks for it or could roll back to it; change or delete that server first.`);
      request.log.info({ sha512: id, customerId }, "modpack upload deleted");
      return reply.status(204).send(null);
    },
  );
}
