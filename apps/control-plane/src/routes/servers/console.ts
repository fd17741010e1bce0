import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { CommandBody, CommandReply, commandBytes, ErrorBody, LogLines, LogsQuery, MAX_COMMAND_BYTES, ServerIdParams } from "@zlh/api";
import type { Db, ServerRow } from "@zlh/db";
import { closingSignal, openSse } from "../../http/sse";
import { insertTaskOperation, recordEvent } from "@zlh/db";
import { CommandFailedError, CommandTimeoutError, InvalidRequestError, InvalidTransitionError, ServerBusyError } from "@zlh/domain";
import { asClient } from "../../db/asClient";
import { loadServer } from "../../servers/loadServer";
import { waitForOperation } from "../../servers/waitForOperation";

/**
 * The console: a command goes to the server over RCON, through its host's
 * agent (a task operation: leased, fenced, audited with the calling client),
 * and the reply comes back in the response. The RCON password never leaves
 * the control plane and the agent.
 */
export default async function consoleRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const closing = closingSignal(app);

  app.get(
    "/v1/servers/:id/logs",
    {
      schema: {
        tags: ["console"],
        summary: "The last lines of the server's console log (logs/latest.log in its container)",
        params: ServerIdParams,
        querystring: LogsQuery,
        response: { 200: LogLines, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody, 504: ErrorBody },
      },
    },
    async (request) => {
      const server = await loadServer(app.deps.db, request.params.id);
      return readLog(app.deps.db, server, { tail: tailOf(request.query.tail) }, app.deps.config.commandTimeoutMs);
    },
  );

  app.get(
    "/v1/servers/:id/logs/stream",
    {
      schema: {
        tags: ["console"],
        summary: "The console log live, as server-sent events: the last lines, then each new one (id = the log offset; resumes after Last-Event-ID)",
        params: ServerIdParams,
        querystring: LogsQuery,
        produces: ["text/event-stream"],
        response: { 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      const server = await loadServer(app.deps.db, request.params.id);
      const resume = Number(request.headers["last-event-id"]);
      const timeout = app.deps.config.commandTimeoutMs;
      let read = await readLog(app.deps.db, server, Number.isInteger(resume) && resume >= 0 ? { offset: resume } : { tail: tailOf(request.query.tail) }, timeout);
      const sse = openSse(request, reply, closing, 1000);
      let quietSince = Date.now();
      try {
        while (!sse.gone.aborted) {
          // One message per line; the last carries the offset to resume from as its id.
          read.lines.forEach((line, i) => sse.send(line, i === read.lines.length - 1 ? String(read.offset) : undefined));
          if (read.lines.length > 0) {
            quietSince = Date.now();
          } else if (Date.now() - quietSince > 15_000) {
            sse.keepAlive();
            quietSince = Date.now();
          }
          await sse.sleep(app.deps.config.eventStream.pollMs);
          if (sse.gone.aborted) break;
          read = await readLog(app.deps.db, server, { offset: read.offset }, timeout);
        }
      } catch (err) {
        request.log.warn({ err: (err as Error).message, serverId: server.id }, "log stream ended");
      } finally {
        sse.end();
      }
    },
  );

  app.post(
    "/v1/servers/:id/commands",
    {
      schema: {
        tags: ["console"],
        summary: "Run a console command on the running server (over RCON) and return its reply",
        params: ServerIdParams,
        body: CommandBody,
        response: { 200: CommandReply, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody, 504: ErrorBody },
      },
    },
    async (request) => {
      const bytes = commandBytes(request.body.command);
      if (bytes > MAX_COMMAND_BYTES) throw new InvalidRequestError(`body/command is ${bytes} bytes in UTF-8; vanilla's RCON accepts at most ${MAX_COMMAND_BYTES}.`);
      const server = await loadServer(app.deps.db, request.params.id);
      if (server.status !== "running") throw new InvalidTransitionError(`The server is ${server.status}; commands go to a running server.`);
      const command = request.body.command;
      const opId = await asClient(app.deps.db, request.client!.name, async (tx) => {
        const id = await insertTaskOperation(tx, server.id, "command", randomUUID(), { command }, 1);
        if (id) await recordEvent(tx, { type: "server.command", serverId: server.id, hostId: server.host_id, operationId: id, data: { command } });
        return id;
      });
      if (!opId) throw new ServerBusyError();
      const op = await waitForOperation(app.deps.db, opId, app.deps.config.commandTimeoutMs);
      request.log.info({ serverId: server.id, opId, status: op?.status ?? "pending" }, "console command");
      if (!op) throw new CommandTimeoutError(`The server did not answer within ${app.deps.config.commandTimeoutMs} ms; the command may still run.`);
      if (op.status !== "succeeded") throw new CommandFailedError(`The command did not run: ${op.error ?? op.status}.`);
      return { reply: String((op.result as { reply?: string } | null)?.reply ?? "") };
    },
  );
}

const tailOf = (raw: string | undefined) => Math.min(1000, raw === undefined ? 100 : Number(raw));

/**
 * One read of the console log through the host's agent: a `logs` task
 * operation, which runs beside anything else on the server and leaves no
 * events (a live view reads every second).
 */
async function readLog(db: Db, server: ServerRow, want: { tail: number } | { offset: number }, timeoutMs: number): Promise<{ lines: string[]; offset: number }> {
  if (server.status === "deleted" || server.status === "pending") throw new InvalidTransitionError(`The server is ${server.status}; it has no log to read.`);
  const opId = await insertTaskOperation(db, server.id, "logs", randomUUID(), want, 1);
  if (!opId) throw new InvalidTransitionError("The server is being deleted; it has no log to read.");
  const op = await waitForOperation(db, opId, timeoutMs);
  if (!op) throw new CommandTimeoutError(`The host did not answer within ${timeoutMs} ms.`);
  if (op.status !== "succeeded") throw new CommandFailedError(`The log could not be read: ${op.error ?? op.status}.`);
  const r = op.result as { lines?: string[]; offset?: number };
  return { lines: r.lines ?? [], offset: r.offset ?? 0 };
}
