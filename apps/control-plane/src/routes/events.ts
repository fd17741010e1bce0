import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { ErrorBody, EventPage, EventsQuery } from "@zlh/api";
import { InvalidCursorError } from "@zlh/domain";
import { feedStart, pageLimit, readEventPage } from "../events/feed";
import { streamEvents } from "../events/sseStream";
import { closingSignal } from "../http/sse";
import { EventStreamSlots } from "../streams/eventStreamSlots";
import { streamOptions } from "../streams/streamOptions";

/** The panel's event feed: every server's events in order, paged or streamed (SSE). */
export default async function eventRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const closing = closingSignal(app);
  const slots = new EventStreamSlots(app.deps.config.streams.eventsPerClient);

  app.get(
    "/v1/events",
    {
      schema: {
        tags: ["events"],
        operationId: "listEvents",
        summary: "The event feed of all servers and hosts (or one server: serverId), in order, after a cursor (or from now); gapless",
        querystring: EventsQuery,
        response: { 200: EventPage, 400: ErrorBody, 410: ErrorBody },
      },
    },
    async (request) => {
      const limit = pageLimit(request.query.limit, 100);
      return readEventPage(app.deps.db, { after: await feedStart(app.deps.db, request.query), limit, serverId: request.query.serverId });
    },
  );

  app.get(
    "/v1/events/stream",
    {
      schema: {
        tags: ["events"],
        operationId: "streamEvents",
        summary: "The event feed as server-sent events (SSE id = event id); resumes after Last-Event-ID",
        description:
          "Each message is `id: <event id>` and `data: <the event as JSON, as in GET /v1/events>`. Ids only grow. A reconnecting EventSource sends Last-Event-ID and the stream resumes after it (it wins over the query); `?after=` does the same for the first connection, `?from=now` starts at the feed's end.",
        querystring: EventsQuery,
        produces: ["text/event-stream"],
        response: { 400: ErrorBody, 410: ErrorBody, 429: ErrorBody },
      },
    },
    async (request, reply) => {
      const header = request.headers["last-event-id"];
      const lastEventId = typeof header === "string" && header.trim() !== "" ? header.trim() : null;
      if (lastEventId !== null && !/^[0-9]{1,18}$/.test(lastEventId)) throw new InvalidCursorError();
      const resume = lastEventId ?? (await feedStart(app.deps.db, request.query));
      const release = slots.take(request.client!.name);
      try {
        await streamEvents(app.deps.db, request, reply, { after: resume, serverId: request.query.serverId }, app.deps.config.eventStream, closing, streamOptions(app, request, 0));
      } finally {
        release();
      }
    },
  );
}
