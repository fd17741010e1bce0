import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { ErrorBody, OptionalIdempotencyKeyHeader, Schedule, ScheduleBody, ScheduleList, ScheduleParams, SchedulePatch, ScheduleRunList, ServerIdParams } from "@zlh/api";
import { endSchedules, getSchedule, insertSchedule, listRuns, listSchedules, updateSchedule, type ScheduleRunRow } from "@zlh/db";
import { InvalidTransitionError, ScheduleLimitError, ScheduleNameTakenError, ScheduleNotFoundError } from "@zlh/domain";
import { answerOnce } from "../../http/answerOnce";
import { asClient } from "../../db/asClient";
import { loadServer } from "../../servers/loadServer";
import { isoTime } from "../../servers/present";
import { bodyOf, presentSchedule, scheduleFields, type ScheduleInput } from "../../schedules/scheduleInput";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const presentRun = (r: ScheduleRunRow) => ({
  slot: isoTime(r.slot),
  status: r.status,
  late: r.late,
  missedBefore: r.missed_before,
  operationId: r.operation_id,
  reason: r.reason,
  startedAt: isoTime(r.started_at),
  finishedAt: r.finished_at ? isoTime(r.finished_at) : null,
});

/** A server's schedules (docs/design/schedules.md): CRUD, each with its next slots, and each one's runs. */
export default async function scheduleRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["schedules"];
  const cfg = () => app.deps.config.schedules;

  async function find(serverId: string, scheduleId: string, endedToo = false) {
    const s = UUID.test(scheduleId) ? await getSchedule(app.deps.db, serverId, scheduleId, endedToo) : null;
    if (!s) throw new ScheduleNotFoundError(scheduleId);
    return s;
  }

  app.post(
    "/v1/servers/:id/schedules",
    {
      schema: {
        tags,
        operationId: "createSchedule",
        summary: "Add a schedule: a cron expression in a time zone and an action (backup, restart, command, announce)",
        headers: OptionalIdempotencyKeyHeader,
        params: ServerIdParams,
        body: ScheduleBody,
        response: { 201: Schedule, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const server = await loadServer(app.deps.db, request.params.id);
      const now = new Date();
      const fields = scheduleFields(request.body, cfg().minIntervalMs, now);
      // A retry with the key gets the schedule it created, not 409 schedule_name_taken.
      const keyed = { route: "createSchedule", serverId: server.id, ...request.body };
      const { answer, replayed } = await answerOnce(app.deps.db, request.client!.name, request.headers["idempotency-key"], keyed, async (tx) => {
        const row = await insertSchedule(tx, server.id, fields, cfg().perServer);
        if (row === "server_gone") throw new InvalidTransitionError("The server is deleted or being deleted; it takes no schedules.");
        if (row === "cap_reached") throw new ScheduleLimitError(cfg().perServer);
        if (row === "name_taken") throw new ScheduleNameTakenError(fields.name);
        return presentSchedule(row, now, cfg().toleranceMs);
      });
      request.log.info({ serverId: server.id, scheduleId: answer.id, replayed }, replayed ? "schedule create replayed" : "schedule created");
      return reply.status(201).send(answer);
    },
  );

  app.get(
    "/v1/servers/:id/schedules",
    { schema: { tags, operationId: "listSchedules", summary: "The server's schedules, each with its next slots", params: ServerIdParams, response: { 200: ScheduleList, 404: ErrorBody } } },
    async (request) => {
      const server = await loadServer(app.deps.db, request.params.id);
      const now = new Date();
      return { items: (await listSchedules(app.deps.db, server.id)).map((s) => presentSchedule(s, now, cfg().toleranceMs)) };
    },
  );

  app.get(
    "/v1/servers/:id/schedules/:scheduleId",
    { schema: { tags, operationId: "getSchedule", summary: "One schedule, with its next slots", params: ScheduleParams, response: { 200: Schedule, 404: ErrorBody } } },
    async (request) => {
      const server = await loadServer(app.deps.db, request.params.id);
      return presentSchedule(await find(server.id, request.params.scheduleId), new Date(), cfg().toleranceMs);
    },
  );

  app.patch(
    "/v1/servers/:id/schedules/:scheduleId",
    {
      schema: {
        tags,
        operationId: "changeSchedule",
        summary: "Change a schedule (the fields given); its next slot is placed again from now, after any slot already claimed",
        params: ScheduleParams,
        body: SchedulePatch,
        response: { 200: Schedule, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody },
      },
    },
    async (request) => {
      const server = await loadServer(app.deps.db, request.params.id);
      const current = await find(server.id, request.params.scheduleId);
      const base = bodyOf(current);
      // Another action keeps nothing of the old one's argument.
      if (request.body.action !== undefined && request.body.action !== current.action) {
        delete base.command;
        delete base.message;
      }
      const merged: Record<string, unknown> = { ...base, ...request.body };
      for (const k of ["command", "message"]) if (merged[k] === null) delete merged[k];
      const now = new Date();
      const place = (lastSlot: Date | null) => scheduleFields(merged as ScheduleInput, cfg().minIntervalMs, now, lastSlot);
      // Checked before the transaction too, so an invalid change is refused without a lock.
      const fields = place(null);
      const row = await asClient(app.deps.db, request.client!.name, (tx) => updateSchedule(tx, server.id, current.id, place));
      if (row === null) throw new ScheduleNotFoundError(current.id);
      if (row === "name_taken") throw new ScheduleNameTakenError(fields.name);
      return presentSchedule(row, now, cfg().toleranceMs);
    },
  );

  app.delete(
    "/v1/servers/:id/schedules/:scheduleId",
    { schema: { tags, operationId: "deleteSchedule", summary: "Delete a schedule: no slot of it runs after this (a countdown under way does not restart)", params: ScheduleParams, response: { 200: Schedule, 404: ErrorBody } } },
    async (request) => {
      const server = await loadServer(app.deps.db, request.params.id);
      const s = await find(server.id, request.params.scheduleId);
      const ended = await asClient(app.deps.db, request.client!.name, (tx) => endSchedules(tx, server.id, s.id, "deleted"));
      if (ended === 0) throw new ScheduleNotFoundError(s.id);
      return presentSchedule(s, new Date(), cfg().toleranceMs, true);
    },
  );

  app.get(
    "/v1/servers/:id/schedules/:scheduleId/runs",
    { schema: { tags, operationId: "listScheduleRuns", summary: "The schedule's runs, newest slot first (the last 100); also of a deleted schedule", params: ScheduleParams, response: { 200: ScheduleRunList, 404: ErrorBody } } },
    async (request) => {
      const server = await loadServer(app.deps.db, request.params.id);
      // A deleted schedule's runs stay readable.
      const s = await find(server.id, request.params.scheduleId, true);
      return { items: (await listRuns(app.deps.db, s.id, 100)).map(presentRun) };
    },
  );
}
