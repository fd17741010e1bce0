import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { CommandBody, CommandReply, ErrorBody, LogLines, LogsQuery, ServerIdParams } from "@zlh/api";
import { checkConsoleLine } from "../../http/consoleLine";
import { closingSignal } from "../../http/sse";
import { acceptsCommands, CommandFailedError, CommandTimeoutError, InvalidTransitionError, ServerBusyError } from "@zlh/domain";
import { asClient } from "../../db/asClient";
import { OptionalIdempotencyKeyHeader } from "@zlh/api";
import { replayTask, taskKey } from "../../servers/keyedTask";
import { loadServer } from "../../servers/loadServer";
import { sendCommand } from "../../servers/sendCommand";
import { waitForOperation } from "../../servers/waitForOperation";
import { followLog } from "../../streams/followLog";
import { readLogOnce } from "../../streams/logReads";

/**
 * The console: a command goes to the server over RCON, through its host's
 * agent (a task operation: leased, fenced, audited with the calling client),
 * and the reply comes back in the response. The RCON password never leaves
 * the control plane and the agent.
 */
export default async function consoleRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const closing = closingSignal(app);

  // The console is the panel's: a log shows what players and the server say (names, addresses, command
  // output), and every read is work on the host, so a `read` token (dashboards, monitoring) does not get it.
  const config = { scope: "panel" as const, console: true as const };

  app.get(
    "/v1/servers/:id/logs",
    {
      config,
      schema: {
        tags: ["console"],
        operationId: "getLogs", summary: "The last lines of the server's console log (logs/latest.log in its container)",
        params: ServerIdParams,
        querystring: LogsQuery,
        response: { 200: LogLines, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody, 504: ErrorBody },
      },
    },
    async (request) => {
      const server = await loadServer(app.deps.db, request.params.id);
      return readLogOnce(app.deps.db, server, { tail: tailOf(request.query.tail) }, app.deps.config.commandTimeoutMs);
    },
  );

  app.get(
    "/v1/servers/:id/logs/stream",
    {
      config,
      schema: {
        tags: ["console"],
        operationId: "streamLogs", summary: "The console log live, as server-sent events: the last lines, then each new one (id = the log offset; resumes after Last-Event-ID)",
        description:
          "Ends with `event: end` (`data: {reason, message}`) when its token is revoked, after ZLH_STREAM_MAX_DURATION_MS, when the host stops answering or the control plane stops. 429 too_many_streams over ZLH_LOG_STREAMS_PER_CLIENT or ZLH_LOG_STREAMS_PER_SERVER.",
        params: ServerIdParams,
        querystring: LogsQuery,
        produces: ["text/event-stream"],
        response: { 404: ErrorBody, 409: ErrorBody, 429: ErrorBody, 502: ErrorBody, 504: ErrorBody },
      },
    },
    async (request, reply) => {
      const server = await loadServer(app.deps.db, request.params.id);
      const resume = Number(request.headers["last-event-id"]);
      const want = Number.isSafeInteger(resume) && resume >= 0 ? { offset: resume } : { tail: tailOf(request.query.tail) };
      await followLog(app, request, reply, server, want, closing);
    },
  );

  app.post(
    "/v1/servers/:id/commands",
    {
      config,
      schema: {
        tags: ["console"],
        operationId: "runCommand", summary: "Run a console command on the running server (over RCON) and return its reply; once per Idempotency-Key (a retry gets the first one's reply)",
        headers: OptionalIdempotencyKeyHeader,
        params: ServerIdParams,
        body: CommandBody,
        response: { 200: CommandReply, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody, 502: ErrorBody, 504: ErrorBody },
      },
    },
    async (request) => {
      checkConsoleLine("body.command", request.body.command);
      const server = await loadServer(app.deps.db, request.params.id);
      if (!acceptsCommands(server.status)) throw new InvalidTransitionError(`The server is ${server.status}; commands go to a running server.`);
      const command = request.body.command;
      // A command is not idempotent (`give` twice gives twice): a retry with its key gets the first one's reply.
      const keyed = taskKey(request.client!.name, request.headers["idempotency-key"], { route: "command", serverId: server.id, command });
      const opId = await asClient(app.deps.db, request.client!.name, async (tx) => (await replayTask(tx, server.id, keyed, "command"))?.id ?? sendCommand(tx, server, command, keyed));
      if (!opId) throw new ServerBusyError();
      const op = await waitForOperation(app.deps.db, opId, app.deps.config.commandTimeoutMs);
      request.log.info({ serverId: server.id, opId, status: op?.status ?? "pending" }, "console command");
      if (!op) throw new CommandTimeoutError(`The server did not answer within ${app.deps.config.commandTimeoutMs} ms; the command may still run.`);
      if (op.status !== "succeeded") throw new CommandFailedError(`The command did not run: ${op.error ?? op.status}.`);
      return { reply: String((op.result as { reply?: string } | null)?.reply ?? "") };
    },
  );
}

const tailOf = (tail: number | undefined) => tail ?? 100;
