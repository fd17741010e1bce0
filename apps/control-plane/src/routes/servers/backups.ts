import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Backup, BackupList, BackupParams, ErrorBody, OptionalIdempotencyKeyHeader, RestoreBody, ServerIdParams, ServerPageQuery, TaskOperation } from "@zlh/api";
import { manifestHash, type Manifest } from "@zlh/artifacts";
import { getBackup, getBackupById, getOperation, getServer, insertTaskOperation, keyParams, listBackups, markBackupDeleted, queueBackupRemoval, recordEvent, requestBackup, type BackupRow, type ServerRow, type Tx } from "@zlh/db";
import { BackupNotFoundError, canBackUp, InvalidTransitionError, ServerBusyError } from "@zlh/domain";
import { asClient } from "../../db/asClient";
import { decodeTimeCursor, encodeTimeCursor } from "../../servers/cursor";
import { isoTime } from "../../servers/present";
import { loadServer } from "../../servers/loadServer";
import { replayTask, taskKey } from "../../servers/keyedTask";
import { keysetPage } from "../../servers/page";

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
    {
      schema: {
        tags,
        operationId: "createBackup",
        summary: "Take a backup: a consistent copy of the server directory (save-off/save-all over RCON while running); idempotent per Idempotency-Key",
        headers: OptionalIdempotencyKeyHeader,
        params: ServerIdParams,
        response: { 202: Backup, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const server = await provisioned(request.params.id);
      const keyed = taskKey(request.client!.name, request.headers["idempotency-key"], { route: "backup", serverId: server.id });
      const backup = await asClient(app.deps.db, request.client!.name, async (tx) => {
        const earlier = await replayTask(tx, server.id, keyed, "backup");
        if (earlier) return getBackup(tx, server.id, earlier.subject_id);
        return requestBackup(tx, server.id, randomUUID(), manifestHash(server.manifest as Manifest), keyed);
      });
      if (!backup) throw new ServerBusyError();
      request.log.info({ serverId: server.id, backupId: backup.id, keyed: keyed !== null }, "backup requested");
      return reply.status(202).send(present(backup));
    },
  );

  app.get(
    "/v1/servers/:id/backups",
    { schema: { tags, operationId: "listBackups", summary: "The server's backups, newest first, a page at a time", params: ServerIdParams, querystring: ServerPageQuery, response: { 200: BackupList, 400: ErrorBody, 404: ErrorBody } } },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const before = request.query.cursor === undefined ? undefined : decodeTimeCursor(request.query.cursor);
      const server = await loadServer(app.deps.db, request.params.id);
      const rows = await listBackups(app.deps.db, server.id, { before, limit: limit + 1 });
      const { page, nextCursor } = keysetPage(rows, limit, (last) => encodeTimeCursor(last.created_key, last.id));
      return { items: page.map(present), nextCursor };
    },
  );

  app.post(
    "/v1/servers/:id/backups/:backupId/restore",
    {
      schema: {
        tags,
        operationId: "restoreBackup",
        summary: "Restore a backup (its sha256 is checked first); the server is stopped, and restarts on it if it was wanted running",
        headers: OptionalIdempotencyKeyHeader,
        params: BackupParams,
        response: { 202: TaskOperation, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const server = await provisioned(request.params.id);
      const backup = await findBackup(server.id, request.params.backupId);
      return reply.status(202).send(await restoreInto(request.client!.name, request.headers["idempotency-key"], server, backup, request.log));
    },
  );

  app.post(
    "/v1/servers/:id/restore",
    {
      schema: {
        tags,
        operationId: "restoreIntoServer",
        summary: "Restore a backup of this server or of another of the same customer (an admin token: any) into this server, on this host or another",
        description:
          "The target is stopped first (as any restore does) and gets the backup's world and files, with its own manifest placed over them. A backup kept on another host is fetched by this server's agent from the control plane, which relays it from the source host's agent (resumable; its size and sha256 checked before the restore uses it); the source host being offline fails the restore operation (server.restore_failed), retried as any operation.",
        headers: OptionalIdempotencyKeyHeader,
        params: ServerIdParams,
        body: RestoreBody,
        response: { 202: TaskOperation, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const target = await provisioned(request.params.id);
      const backup = /^[0-9a-f-]{36}$/.test(request.body.backupId) ? await getBackupById(app.deps.db, request.body.backupId) : null;
      if (!backup) throw new BackupNotFoundError(request.body.backupId);
      if (backup.server_id !== target.id) {
        const source = await loadServer(app.deps.db, backup.server_id);
        // Another customer's backup is as unknown as a missing one to a panel token.
        if (source.customer_id !== target.customer_id && request.client!.scope !== "admin") throw new BackupNotFoundError(request.body.backupId);
      }
      return reply.status(202).send(await restoreInto(request.client!.name, request.headers["idempotency-key"], target, backup, request.log));
    },
  );

  /**
   * Queues a restore of `backup` into `server` (its archive read from the
   * backup's own server's directory on the host), or finds the one this
   * Idempotency-Key already queued; answers with the operation.
   */
  async function restoreInto(client: string, key: string | undefined, server: ServerRow, backup: BackupRow, log: { info: (o: object, m: string) => void }) {
    if (backup.status !== "completed" || !backup.sha256) throw new InvalidTransitionError(`The backup is ${backup.status}; only a completed backup can be restored.`);
    const keyed = taskKey(client, key, { route: "restore", serverId: server.id, backupId: backup.id });
    const opId = await asClient(app.deps.db, client, async (tx) => {
      const earlier = await replayTask(tx, server.id, keyed, "restore");
      if (earlier) return earlier.id;
      const source = backup.server_id === server.id ? {} : { sourceServerId: backup.server_id };
      const fetched = backup.server_id === server.id ? {} : await fetchedFrom(tx, backup, server);
      const id = await insertTaskOperation(tx, server.id, "restore", randomUUID(), { backupId: backup.id, sha256: backup.sha256, ...source, ...fetched, ...keyParams(keyed) }, 3);
      if (id) await recordEvent(tx, { type: "server.restore_requested", serverId: server.id, hostId: server.host_id, operationId: id, data: { backupId: backup.id, ...source } });
      return id;
    });
    if (!opId) throw new ServerBusyError();
    log.info({ serverId: server.id, backupId: backup.id, opId }, "restore requested");
    const op = await getOperation(app.deps.db, opId);
    return { id: opId, kind: "restore" as const, status: op?.status ?? "queued", serverId: server.id, backupId: backup.id };
  }

  /** A backup of a server on another host: the restoring agent fetches its archive (of this size) through the control plane. */
  async function fetchedFrom(tx: Tx, backup: BackupRow, server: ServerRow) {
    const source = await getServer(tx, backup.server_id);
    return source && source.host_id !== server.host_id ? { fetch: true, sizeBytes: Number(backup.size_bytes) } : {};
  }

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
