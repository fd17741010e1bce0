import type { Command } from "commander";
import { ApiError } from "../http";
import { follow } from "../follow";
import { printable, show, table, type Ctx } from "../output";
import { intArg, type Run } from "./shared";

interface EventItem {
  id: string;
  type: string;
  at: string;
  serverId: string | null;
  hostId: string | null;
  operationId: string | null;
  actor: string | null;
  data: Record<string, unknown>;
}

const short = (id: string | null) => (id ? id.slice(0, 8) : null);
const summary = (data: Record<string, unknown>) => {
  const text = printable(JSON.stringify(data));
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
};
const eventRow = (e: EventItem) => [e.id, e.at, e.type, short(e.serverId), short(e.hostId), e.actor, summary(e.data)];
const HEADERS = ["ID", "AT", "TYPE", "SERVER", "HOST", "ACTOR", "DATA"];

/**
 * Where "now" is in the feed: `?from=now` where the API knows it; else the feed paged to its end (the cursor a
 * `GET /v1/events` with nothing more to give returns), which an older control plane has.
 */
async function nowCursor(ctx: Ctx, serverId: string | undefined): Promise<string | null> {
  const base = new URLSearchParams({ limit: "1000", ...(serverId ? { serverId } : {}) });
  try {
    const page = (await ctx.client.call<{ nextCursor: string | null }>("GET", `/v1/events?${base}&from=now`)).body;
    if (page.nextCursor) return page.nextCursor;
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 400)) throw err;
  }
  let after: string | null = null;
  for (;;) {
    const q = new URLSearchParams(base);
    if (after) q.set("after", after);
    const page = (await ctx.client.call<{ nextCursor: string | null; hasMore: boolean }>("GET", `/v1/events?${q}`)).body;
    after = page.nextCursor ?? after;
    if (!page.hasMore) return after;
  }
}

export function eventCommands(program: Command, run: Run): void {
  program
    .command("events")
    .description("the event feed: a page, or with --watch followed live from now (or from --since)")
    .option("--watch", "follow new events until interrupted (or --limit)")
    .option("--since <cursor>", "start after this event id / cursor instead of now (a page starts at the beginning)")
    .option("--server <id>", "only this server's events")
    .option("--type <prefix>", "only events whose type starts with this (server., op., host.)")
    .option("--limit <n>", "a page of at most n; with --watch, stop after n events", intArg)
    .action(
      run(async (ctx, o: { watch?: boolean; since?: string; server?: string; type?: string; limit?: number }) => {
        const wanted = (e: EventItem) => !o.type || e.type.startsWith(o.type);
        if (!o.watch) {
          const q = new URLSearchParams();
          if (o.since) q.set("after", o.since);
          if (o.server) q.set("serverId", o.server);
          if (o.limit) q.set("limit", String(o.limit));
          const body = (await ctx.client.call<{ items: EventItem[]; nextCursor: string | null; hasMore: boolean }>("GET", `/v1/events?${q}`)).body;
          const items = body.items.filter(wanted);
          show(ctx, o.type ? { ...body, items } : body, () => {
            table(ctx, HEADERS, items.map(eventRow));
            if (body.hasMore) ctx.err(`more after ${body.nextCursor} (--since ${body.nextCursor})`);
          });
          return;
        }
        const start = o.since ?? (await nowCursor(ctx, o.server));
        ctx.err(start ? `following events after ${start} (Ctrl-C ends)` : "following events from the beginning (Ctrl-C ends)");
        if (!ctx.json) ctx.out(HEADERS.join("  "));
        let n = 0;
        await follow(
          ctx,
          () => `/v1/events/stream${o.server ? `?serverId=${encodeURIComponent(o.server)}` : ""}`,
          (m) => {
            const e = JSON.parse(m.data) as EventItem;
            if (!wanted(e)) return false;
            ctx.out(ctx.json ? JSON.stringify(e) : eventRow(e).map((c) => c ?? "-").join("  "));
            return o.limit !== undefined && ++n >= o.limit;
          },
          start,
        );
      }),
    );
}
