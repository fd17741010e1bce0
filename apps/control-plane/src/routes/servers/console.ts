import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { CommandBody, CommandReply, ErrorBody, ServerIdParams } from "@zlh/api";
import { insertTaskOperation, recordEvent } from "@zlh/db";
import { CommandFailedError, CommandTimeoutError, InvalidTransitionError, ServerBusyError } from "@zlh/domain";
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

  app.post(
    "/v1/servers/:id/commands",
    {
      schema: {
        tags: ["console"],
        summary: "Run a console command on the running server (over RCON) and return its reply",
        params: ServerIdParams,
        body: CommandBody,
        response: { 200: CommandReply, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody, 504: ErrorBody },
      },
    },
    async (request) => {
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
