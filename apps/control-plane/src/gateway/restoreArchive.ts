import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Type from "typebox";
import { endLogRead, getBackupById, getOperation, openBackupDownload, requeueBackupRead, type Db } from "@zlh/db";
import { BackupNotFoundError, InvalidTransitionError } from "@zlh/domain";
import { closingSignal } from "../http/sse";
import { BACKUP_CHUNK, backupChunk } from "../servers/backupChunk";
import { waitForOperation } from "../servers/waitForOperation";
import { TooManyStreamsError } from "../streams/tooManyStreams";
import { authenticateAgent } from "./agentAuth";

export interface RestoreArchiveOptions {
  db: Db;
  commandTimeoutMs: number;
  downloadsPerServer: number;
  staleAfterMs: number;
}

/**
 * `GET /v1/agent/restores/:opId/archive?offset=N`: the archive of a backup
 * kept on another host, for the host restoring it. Only the host holding the
 * lease of that `restore` operation may ask, and only for its backup. The
 * bytes from `offset` (a resumed fetch) are relayed from the source host's
 * agent one `backup_read` chunk at a time, each waited for at most
 * ZLH_COMMAND_TIMEOUT_MS; nothing is buffered beyond a chunk, the next asked
 * for once the last is written. The archive is not hashed here: the
 * restoring agent checks the recorded size and sha256 before using it.
 */
export async function restoreArchiveRoute(app0: FastifyInstance, opts: RestoreArchiveOptions) {
  const app = app0.withTypeProvider<TypeBoxTypeProvider>();
  const closing = closingSignal(app);
  const { db, commandTimeoutMs } = opts;
  app.get(
    "/v1/agent/restores/:opId/archive",
    {
      schema: { hide: true, params: Type.Object({ opId: Type.String({ pattern: "^[0-9a-f-]{36}$" }) }), querystring: Type.Object({ offset: Type.Optional(Type.Integer({ minimum: 0 })) }) },
      preValidation: authenticateAgent(db),
    },
    async (request, reply) => {
      const host = request.agentHost!;
      const op = await getOperation(db, request.params.opId);
      const p = (op?.params ?? {}) as { backupId?: unknown; sourceServerId?: unknown };
      // Another host's operation is as unknown as a missing one.
      if (!op || op.kind !== "restore" || op.host_id !== host.id || typeof p.backupId !== "string") throw new BackupNotFoundError(request.params.opId);
      if (op.status !== "leased") throw new InvalidTransitionError(`The restore is ${op.status}; its archive is relayed only while it is leased.`);
      const backup = await getBackupById(db, p.backupId);
      if (!backup || backup.server_id !== p.sourceServerId) throw new BackupNotFoundError(p.backupId);
      if (backup.status !== "completed" || backup.size_bytes === null) throw new InvalidTransitionError(`The backup is ${backup.status}; only a completed backup can be restored.`);
      const size = Number(backup.size_bytes);
      const from = request.query.offset ?? 0;
      if (from > size) throw new InvalidTransitionError(`The archive has ${size} bytes; offset ${from} is past its end.`);
      const caps = { perServer: opts.downloadsPerServer, staleAfterMs: opts.staleAfterMs };
      const opened = await db.transaction((tx) => openBackupDownload(tx, backup.server_id, randomUUID(), { backupId: backup.id, offset: from, length: BACKUP_CHUNK }, caps));
      if ("refused" in opened) throw new TooManyStreamsError(`The source server already has ${opened.refused} backup reads open (at most ${opts.downloadsPerServer}).`);
      if ("gone" in opened) throw new InvalidTransitionError("The backup's host is gone; its archive cannot be read.");
      const readId = opened.opId;
      const log = request.log.child({ serverId: op.server_id, opId: op.id, readId, backupId: backup.id, sourceServerId: backup.server_id });
      const gone = new AbortController();
      const abort = () => gone.abort();
      try {
        // The first chunk before the headers: a source that cannot be read is a JSON error.
        let chunk = backupChunk(await waitForOperation(db, readId, commandTimeoutMs, closing), from, size, commandTimeoutMs);
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(size - from), "cache-control": "no-store" });
        request.raw.once("close", abort);
        closing.addEventListener("abort", abort, { once: true });
        let offset = from;
        try {
          for (;;) {
            offset += chunk.length;
            if (offset > size) throw new Error("the source's archive is longer than recorded");
            if (!res.write(chunk)) await new Promise<void>((resolve) => { res.once("drain", resolve); gone.signal.addEventListener("abort", () => resolve(), { once: true }); });
            if (offset === size) break;
            if (gone.signal.aborted || !(await requeueBackupRead(db, readId, offset))) throw new Error("the fetch was ended");
            chunk = backupChunk(await waitForOperation(db, readId, commandTimeoutMs, gone.signal), offset, size, commandTimeoutMs);
          }
          res.end();
          log.info({ from, bytes: offset - from }, "backup relayed for a restore");
        } catch (err) {
          log.warn({ err: (err as Error).message, bytes: offset - from }, "backup relay aborted");
          res.destroy();
        } finally {
          request.raw.off("close", abort);
          closing.removeEventListener("abort", abort);
        }
      } finally {
        await endLogRead(db, readId).catch((err: Error) => log.warn({ err: err.message }, "could not remove a relay's row; the sweep will"));
      }
    },
  );
}
