import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { ErrorBody, ModpackUpload, ModpackUploadQuery } from "@zlh/api";
import { sha512Hex, type PackContents } from "@zlh/artifacts";
import { storeModpackUpload } from "@zlh/db";
import { InvalidRequestError, ModpackTooLargeError } from "@zlh/domain";
import { checkedContents, contentsOf } from "../modpacks/packContents";
import { MODPACK_UPLOAD_ROUTE, PACK_MEDIA_TYPES } from "./modpackMedia";

/**
 * `POST /v1/modpacks`: a `.mrpack` uploaded as the raw body, at most
 * ZLH_MODPACK_MAX_BYTES (413 over it, before it is read whole). It is read
 * to the format and checked (inspectModpack's refusals: 422 with the
 * reason) before it is stored, content-addressed by sha512, so uploading
 * the same pack again is the same answer. It is uploaded for a customer
 * (`?customerId=`): only that customer's servers are then created from it
 * (or changed to it) with `"modpack": { "upload": "<sha512>" }`, and the
 * answer's uploadedAt is that customer's own upload.
 */
export default async function modpackRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const maxBytes = app.deps.config.modpackMaxBytes;
  app.addContentTypeParser(PACK_MEDIA_TYPES, { parseAs: "buffer", bodyLimit: maxBytes }, (_request, body, done) => done(null, body));
  app.post(
    MODPACK_UPLOAD_ROUTE,
    {
      bodyLimit: maxBytes,
      config: { scope: "panel" },
      schema: {
        tags: ["modpacks"],
        operationId: "uploadModpack",
        summary: "Upload a Modrinth modpack (.mrpack) to create servers from",
        description: `The raw .mrpack as the body (Content-Type ${PACK_MEDIA_TYPES.join(", ")}), at most ZLH_MODPACK_MAX_BYTES. Refused with 422 modpack_invalid or modpack_loader_unsupported and the reason; nothing is stored then.`,
        consumes: PACK_MEDIA_TYPES,
        querystring: ModpackUploadQuery,
        response: { 201: ModpackUpload, 400: ErrorBody, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const body = request.body as unknown;
      if (!Buffer.isBuffer(body)) throw new InvalidRequestError(`The body must be the .mrpack file itself (Content-Type ${PACK_MEDIA_TYPES[0]}).`);
      if (body.byteLength > maxBytes) throw new ModpackTooLargeError(`The pack is ${body.byteLength} bytes; at most ${maxBytes} are accepted (ZLH_MODPACK_MAX_BYTES).`);
      const bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
      // Read once, off the event loop, and recorded by sha512 (a pack uploaded again is not inflated again):
      // resolutions use the recorded override digests, never the bytes.
      const sha512 = sha512Hex(bytes);
      const pack = checkedContents(await contentsOf(app.deps.db, sha512, async () => bytes));
      const { customerId } = request.query;
      const stored = await storeModpackUpload(app.deps.db, { sha512, data: bytes, summary: summaryOf(pack), callerId: request.client!.name, customerId });
      request.log.info({ sha512, size: bytes.byteLength, pack: pack.name, version: pack.versionId }, "modpack uploaded");
      return reply.status(201).send({ sha512, size: stored.size, ...summaryOf(pack), uploadedAt: new Date(stored.created_at).toISOString() });
    },
  );
}

function summaryOf(pack: PackContents) {
  return {
    name: pack.name,
    version: pack.versionId,
    minecraftVersion: pack.game,
    loader: pack.loader,
    files: pack.downloads.length,
    overrides: pack.overrides.length,
    skipped: pack.skipped,
  };
}
