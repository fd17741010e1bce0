import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { endLogRead, openLogStream, requeueLogRead, type LogWant, type ServerRow } from "@zlh/db";
import { InvalidTransitionError } from "@zlh/domain";
import { openSse } from "../http/sse";
import { waitForOperation } from "../servers/waitForOperation";
import { assertHasLog, logReadOf, type LogRead } from "./logReads";
import { logStreamCaps } from "./logStreamCaps";
import { streamOptions } from "./streamOptions";
import { TooManyStreamsError } from "./tooManyStreams";

/** A quiet stream gets a comment line this often, so proxies and idle timeouts keep it open. */
const KEEP_ALIVE_MS = 15_000;

/**
 * `GET /v1/servers/:id/logs/stream`: the console log live. The whole stream
 * is one `logs` operation row (packages/db/src/sql/logStreams.ts), queued
 * again in place for every read and deleted when the stream ends, whatever
 * ends it (the client going, its token revoked, its longest life, the host
 * not answering, the control plane stopping). Opening one is refused with
 * 429 too_many_streams over the client's or the server's cap, counted in the
 * database across every control-plane process. The first read is answered
 * before the stream starts, so an error is a JSON reply like anywhere else.
 */
export async function followLog(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, server: ServerRow, want: LogWant, closing: AbortSignal): Promise<void> {
  assertHasLog(server);
  const { db, config } = app.deps;
  const client = request.client!.name;
  const timeoutMs = config.commandTimeoutMs;
  const caps = logStreamCaps(config);
  const opened = await db.transaction((tx) => openLogStream(tx, server.id, randomUUID(), client, want, caps));
  if ("refused" in opened) {
    throw new TooManyStreamsError(
      opened.refused === "server"
        ? `This server already has ${opened.open} console-log streams open (at most ${caps.perServer}); close one first.`
        : `The client ${JSON.stringify(client)} already has ${opened.open} console-log streams open (at most ${caps.perClient}); close one first.`,
    );
  }
  if ("gone" in opened) throw new InvalidTransitionError("The server is being deleted; it has no log to read.");
  const opId = opened.opId;
  const log = request.log.child({ serverId: server.id, opId });
  try {
    let read: LogRead = logReadOf(await waitForOperation(db, opId, timeoutMs, closing), timeoutMs);
    const sse = openSse(request, reply, closing, streamOptions(app, request, 1000));
    let lastWrite = Date.now();
    try {
      while (!sse.gone.aborted) {
        // One message per line; the last carries the offset to resume from as its id.
        for (const [i, line] of read.lines.entries()) sse.send(line, i === read.lines.length - 1 ? String(read.offset) : undefined);
        if (read.lines.length > 0) lastWrite = Date.now();
        else if (Date.now() - lastWrite >= KEEP_ALIVE_MS) {
          sse.keepAlive();
          lastWrite = Date.now();
        }
        await sse.sleep(config.eventStream.pollMs);
        if (sse.gone.aborted) break;
        if (!(await requeueLogRead(db, opId, { offset: read.offset }))) {
          sse.finish("log_unavailable", "The server has no log to read any more (it is being deleted).");
          break;
        }
        const op = await waitForOperation(db, opId, timeoutMs, sse.gone);
        if (sse.gone.aborted) break;
        try {
          read = logReadOf(op, timeoutMs);
        } catch (err) {
          sse.finish("read_failed", (err as Error).message);
          break;
        }
      }
    } catch (err) {
      log.warn({ err: (err as Error).message }, "log stream ended by an error");
    } finally {
      sse.end();
    }
  } finally {
    await endLogRead(db, opId).catch((err: Error) => log.warn({ err: err.message }, "could not remove a log stream's row; the sweep will"));
  }
}
