import type { FastifyBaseLogger } from "fastify";
import type { PackContents } from "@zlh/artifacts";
import { heldUploadBytes, storeModpackUpload, type Db } from "@zlh/db";
import { InvalidRequestError, ModpackQuotaExceededError, UnsupportedMediaTypeError } from "@zlh/domain";
import { PACK_MEDIA_TYPES } from "../routes/modpackMedia";
import { checkedContents, contentsOf } from "./packContents";
import type { UploadBody } from "./uploadBody";

/** The upload's answer: the pack read, checked against the quota and stored for the customer. */
export async function receiveUpload(db: Db, quotaBytes: number, upload: { received: unknown; customerId: string; callerId: string }, log: FastifyBaseLogger) {
  const { customerId, callerId } = upload;
  const body = upload.received as UploadBody | undefined;
  const expected = `The body must be the .mrpack file itself (Content-Type: ${PACK_MEDIA_TYPES.join(", ")})`;
  if (body === undefined || body === null) throw new InvalidRequestError(`${expected}; none was sent.`);
  // Read by another parser than the pack's: a body in another media type the API parses (JSON), a 415 as any other.
  if (!body.bytes) throw new UnsupportedMediaTypeError(`${expected}.`);
  const { bytes, sha512 } = body;
  // Past the quota, refused before the pack is read (storeModpackUpload checks again under the customer's lock).
  const overQuota = (heldBytes: number) =>
    new ModpackQuotaExceededError(
      `The customer holds ${heldBytes} bytes of uploaded packs; this one (${bytes.byteLength} bytes) would take them past ${quotaBytes} (ZLH_MODPACK_CUSTOMER_QUOTA_BYTES). Delete one no server uses (GET /v1/modpacks lists them with inUse, DELETE /v1/modpacks/:id removes one) first.`,
    );
  const held = await heldUploadBytes(db, customerId, sha512);
  if (held + bytes.byteLength > quotaBytes) throw overQuota(held);
  // Read once, off the event loop, and recorded by sha512 with the pack (a pack uploaded again is not inflated
  // again): resolutions use the recorded override digests, never the bytes. Recorded only once the pack is
  // accepted, in its store's transaction: a refused upload (its loader, the quota) writes nothing.
  const pack = checkedContents(await contentsOf(db, sha512, async () => bytes, { store: false }));
  const stored = await storeModpackUpload(db, { sha512, data: bytes, summary: summaryOf(pack), contents: pack, callerId, customerId, quotaBytes });
  if ("overQuota" in stored) throw overQuota(stored.overQuota.heldBytes);
  log.info({ sha512, size: bytes.byteLength, pack: pack.name, version: pack.versionId }, "modpack uploaded");
  return { sha512, size: stored.upload.size, ...summaryOf(pack), uploadedAt: new Date(stored.upload.created_at).toISOString() };
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
