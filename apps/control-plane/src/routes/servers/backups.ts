import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Backup, BackupList, BackupParams, ErrorBody, ServerIdParams } from "@zlh/api";
import { manifestHash, type Manifest } from "@zlh/artifacts";
import { getBackup, insertTaskOperation, listBackups, markBackupDeleted, queueBackupRemoval, recordEvent, requestBackup, type BackupRow } from "@zlh/db";
import { BackupNotFoundError, canBackUp, InvalidTransitionError, ServerBusyError } from "@zlh/domain";
import { asClient } from "../../db/asClient";
import { isoTime } from "../../servers/present";
import { loadServer } from "../../servers/loadServer";

const present = (b: BackupRow) => ({
  id: b.id,
  status: b.status,
  sizeBytes: b.size_bytes === null ? null : Number(b.size_bytes),
  sha256: b.sha256,
  manifestHash: b.manifest_hash,
  error: b.error,
  createdAt: isoTime(b.created_at),
  completedAt: b.completed_at ? isoTime(b.completed_at) : null,
});

/** Backups of a server, kept on its host: taken, listed, restored, deleted; each a task operation. */
export default async function backupRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["backups"];

  async function provisioned(id: string) {
    const server = await loadServer(app.deps.db, id);
    if (server.manifest === null || !canBackUp(server.status)) {
      throw new InvalidTransitionError(`The server is ${server.status}; backups are of a provisioned server.`);
    }
    return server;
  }

  app.post(
    "/v1/servers/:id/backups",
    { schema: { tags, operationId: "createBackup", summary: "Take a backup: a consistent copy of the server directory (save-off/save-all over RCON while running)", params: ServerIdParams, response: { 202: Backup, 404: ErrorBody, 409: ErrorBody } } },
    async (request, reply) => {
      const server = await provisioned(request.params.id);
      const backup = await asClient(app.deps.db, request.client!.name, (tx) =>
        requestBackup(tx, server.id, randomUUID(), manifestHash(server.manifest as Manifest)),
      );
      if (!backup) throw new ServerBusyError();
      request.log.info({ serverId: server.id, backupId: backup.id }, "backup requested");
      return reply.status(202).send(present(backup));
    },
  );

  app.get(
    "/v1/servers/:id/backups",
    { schema: { tags, operationId: "listBackups", summary: "The server's backups, newest first", params: ServerIdParams, response: { 200: BackupList, 404: ErrorBody } } },
    async (request) => {
      const server = await loadServer(app.deps.db, request.params.id);
      return { items: (await listBackups(app.deps.db, server.id)).map(present) };
    },
  );

  app.post(
    "/v1/servers/:id/backups/:backupId/restore",
    { schema: { tags, operationId: "restoreBackup", summary: "Restore a backup (its sha256 is checked first); the server restarts on it", params: BackupParams, response: { 202: Backup, 404: ErrorBody, 409: ErrorBody } } },
    async (request, reply) => {
      const server = await provisioned(request.params.id);
      const backup = await findBackup(server.id, request.params.backupId);
      if (backup.status !== "completed" || !backup.sha256) throw new InvalidTransitionError(`The backup is ${backup.status}; only a completed backup can be restored.`);
      const opId = await asClient(app.deps.db, request.client!.name, async (tx) => {
        const id = await insertTaskOperation(tx, server.id, "restore", randomUUID(), { backupId: backup.id, sha256: backup.sha256 }, 3);
        if (id) await recordEvent(tx, { type: "server.restore_requested", serverId: server.id, hostId: server.host_id, operationId: id, data: { backupId: backup.id } });
        return id;
      });
      if (!opId) throw new ServerBusyError();
      request.log.info({ serverId: server.id, backupId: backup.id, opId }, "restore requested");
      return reply.status(202).send(present(backup));
    },
  );

  app.delete(
    "/v1/servers/:id/backups/:backupId",
    { schema: { tags, operationId: "deleteBackup", summary: "Delete a backup, also of a deleted server (its archive is removed from the host once the server is free)", params: BackupParams, response: { 200: Backup, 404: ErrorBody, 409: ErrorBody } } },
    async (request) => {
      const server = await loadServer(app.deps.db, request.params.id);
      const backup = await findBackup(server.id, request.params.backupId);
      if (backup.status === "pending" || backup.status === "running") throw new ServerBusyError();
      // The row is removed at once; its archive now if the server is free (a deleted server's is), else by the removal sweep.
      await asClient(app.deps.db, request.client!.name, async (tx) => {
        if (!(await markBackupDeleted(tx, server.id, backup.id))) throw new BackupNotFoundError(backup.id);
        await queueBackupRemoval(tx, server.id);
      });
      return present(backup);
    },
  );

  async function findBackup(serverId: string, backupId: string) {
    const b = /^[0-9a-f-]{36}$/.test(backupId) ? await getBackup(app.deps.db, serverId, backupId) : null;
    if (!b) throw new BackupNotFoundError(backupId);
    return b;
  }
}
