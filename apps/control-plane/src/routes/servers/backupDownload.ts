import { createHash, randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { BackupParams, ErrorBody } from "@zlh/api";
import { endLogRead, getBackup, openBackupDownload, requeueBackupRead, type OperationRow } from "@zlh/db";
import { BackupNotFoundError, CommandFailedError, InvalidTransitionError } from "@zlh/domain";
import { closingSignal } from "../../http/sse";
import { stillAuthorized } from "../../plugins/auth";
import { BACKUP_CHUNK, backupChunk } from "../../servers/backupChunk";
import { loadServer } from "../../servers/loadServer";
import { waitForOperation } from "../../servers/waitForOperation";
import { logStreamCaps } from "../../streams/logStreamCaps";
import { TooManyStreamsError } from "../../streams/tooManyStreams";

/**
 * `GET /v1/servers/:id/backups/:backupId/download`: a completed backup's
 * archive, streamed from its host's agent one bounded chunk at a time (a
 * `backup_read` row queued again in place for each, as a log stream's is),
 * the next asked for only once the client has taken the last (backpressure).
 * The first chunk is read before the response starts, so a missing or
 * refused archive is a JSON error. Content-Length and ETag (the sha256) are
 * the recorded ones; the bytes are hashed as they go, and the last chunk is
 * held back until the hash matches: a mismatch aborts the response, so a
 * client never gets a whole body that is not the backup.
 */
export default async function backupDownloadRoute(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const closing = closingSignal(app);

  app.get(
    "/v1/servers/:id/backups/:backupId/download",
    {
      config: { scope: "panel" },
      schema: {
        tags: ["backups"],
        operationId: "downloadBackup",
        summary: "Download a completed backup's archive (application/gzip, Content-Length, ETag = its sha256, checked as it streams)",
        description: "429 too_many_streams over ZLH_BACKUP_DOWNLOADS_PER_SERVER; ends (the response aborted) when its token is revoked, after ZLH_STREAM_MAX_DURATION_MS, or when the bytes do not match the recorded sha256.",
        params: BackupParams,
        produces: ["application/gzip"],
        response: { 404: ErrorBody, 409: ErrorBody, 429: ErrorBody, 502: ErrorBody, 504: ErrorBody },
      },
    },
    async (request, reply) => {
      const { db, config } = app.deps;
      const server = await loadServer(db, request.params.id);
      const backup = /^[0-9a-f-]{36}$/.test(request.params.backupId) ? await getBackup(db, server.id, request.params.backupId) : null;
      if (!backup) throw new BackupNotFoundError(request.params.backupId);
      if (backup.status !== "completed" || !backup.sha256 || backup.size_bytes === null) throw new InvalidTransitionError(`The backup is ${backup.status}; only a completed backup can be downloaded.`);
      const size = Number(backup.size_bytes);
      const caps = { perServer: config.streams.downloadsPerServer, staleAfterMs: logStreamCaps(config).staleAfterMs };
      const opened = await db.transaction((tx) => openBackupDownload(tx, server.id, randomUUID(), { backupId: backup.id, offset: 0, length: BACKUP_CHUNK }, caps));
      if ("refused" in opened) throw new TooManyStreamsError(`This server already has ${opened.refused} backup downloads open (at most ${caps.perServer}); wait for one to end.`);
      if ("gone" in opened) throw new InvalidTransitionError("The server's host is gone; its backups cannot be read.");
      const opId = opened.opId;
      const log = request.log.child({ serverId: server.id, opId, backupId: backup.id });
      const gone = new AbortController();
      const readChunk = async (op: OperationRow | null, offset: number) => backupChunk(op, offset, size, config.commandTimeoutMs);
      try {
        let chunk = await readChunk(await waitForOperation(db, opId, config.commandTimeoutMs, closing), 0);
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          "content-type": "application/gzip",
          "content-length": String(size),
          etag: `"${backup.sha256}"`,
          "content-disposition": `attachment; filename="${backup.id}.tar.gz"`,
          "cache-control": "no-store",
        });
        const abort = () => gone.abort();
        request.raw.once("close", abort);
        closing.addEventListener("abort", abort, { once: true });
        const tooOld = setTimeout(abort, config.streams.maxDurationMs);
        const recheck = setInterval(() => {
          stillAuthorized(db, request).then((ok) => ok || abort(), abort);
        }, config.streams.tokenRecheckMs);
        const hash = createHash("sha256");
        let offset = 0;
        try {
          for (;;) {
            hash.update(chunk);
            offset += chunk.length;
            // The last chunk goes out only if the whole archive is the backup.
            if (offset >= size && (offset !== size || hash.digest("hex") !== backup.sha256)) throw new CommandFailedError("The archive does not match the backup's sha256.");
            if (gone.signal.aborted) throw new Error("the download was ended");
            if (!res.write(chunk)) await new Promise<void>((resolve) => { res.once("drain", resolve); gone.signal.addEventListener("abort", () => resolve(), { once: true }); });
            if (offset >= size) break;
            if (gone.signal.aborted || !(await requeueBackupRead(db, opId, offset))) throw new Error("the download was ended");
            chunk = await readChunk(await waitForOperation(db, opId, config.commandTimeoutMs, gone.signal), offset);
          }
          res.end();
          log.info({ bytes: offset }, "backup downloaded");
        } catch (err) {
          log.warn({ err: (err as Error).message, bytes: offset }, "backup download aborted");
          res.destroy();
        } finally {
          clearTimeout(tooOld);
          clearInterval(recheck);
          request.raw.off("close", abort);
          closing.removeEventListener("abort", abort);
        }
      } finally {
        await endLogRead(db, opId).catch((err: Error) => log.warn({ err: err.message }, "could not remove a download's row; the sweep will"));
      }
    },
  );
}
