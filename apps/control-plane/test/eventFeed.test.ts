import postgres from "postgres";
import { beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, pruneEvents } from "@zlh/db";
import { withDatabase } from "@zlh/testing";
import { enrollHost, serverBody, startTestPlane } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;
type FeedEvent = { id: string; type: string; serverId: string | null; actor: string | null; data: Record<string, unknown> };

/** Reads an SSE response until `count` events arrived; returns them and the raw text. */
async function readSse(res: Response, count: number): Promise<{ events: FeedEvent[]; ids: string[]; text: string }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const events: FeedEvent[] = [];
  const ids: string[] = [];
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = text.indexOf("\n\n")) >= 0) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      const id = /^id: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (id && data) {
        ids.push(id);
        events.push(JSON.parse(data) as FeedEvent);
      }
    }
  }
  await reader.cancel();
  return { events, ids, text };
}

describe("the event feed", () => {
  let t: Plane;
  beforeAll(async () => {
    t = await startTestPlane({ ZLH_EVENT_STREAM_POLL_MS: "50" }, { runWorker: false });
    await enrollHost(t.api, "feed-host");
  });

  /** Follows the feed to its end; returns every event and the cursor to continue from. */
  async function drain(after: string | null, limit = 7): Promise<{ events: FeedEvent[]; cursor: string | null }> {
    const events: FeedEvent[] = [];
    let cursor = after;
    for (;;) {
      const page = await t.api("GET", `/v1/events?limit=${limit}${cursor ? `&after=${cursor}` : ""}`);
      expect(page.status).toBe(200);
      events.push(...page.body.items);
      cursor = page.body.nextCursor;
      if (!page.body.hasMore) return { events, cursor };
    }
  }

  it("pages every event once, in order, with stable ids, and says when it has caught up", async () => {
    for (let i = 0; i < 4; i++) expect((await t.api("POST", "/v1/servers", serverBody(i), { "idempotency-key": `feed-${i}` })).status).toBe(202);
    const all = await drain(null, 1000);
    const paged = await drain(null, 3);
    expect(paged.events.map((e) => e.id)).toEqual(all.events.map((e) => e.id));
    expect(new Set(all.events.map((e) => e.id)).size).toBe(all.events.length);
    expect(all.events.filter((e) => e.type === "server.requested")).toHaveLength(4);
    expect(all.events.find((e) => e.type === "server.requested")).toMatchObject({ actor: expect.any(String), serverId: expect.any(String) });
    const idle = await t.api("GET", `/v1/events?after=${all.cursor}`);
    expect(idle.body).toEqual({ items: [], nextCursor: all.cursor, hasMore: false });
  });

  it("refuses a cursor it never gave and a bad limit with 400", async () => {
    expect((await t.api("GET", "/v1/events?after=999999999999")).body.error).toBe("invalid_cursor");
    expect((await t.api("GET", "/v1/events?after=abc")).status).toBe(400);
    expect((await t.api("GET", "/v1/events?limit=0")).status).toBe(400);
  });

  it("numbers an event committed late after the ones already served: ids only grow, none is skipped, whatever the commit order", async () => {
    const { cursor } = await drain(null, 1000);
    // Three transactions take their xids in order, then an autocommitted event is written, then the three write
    // theirs in reverse: in feed order (oldest transaction first) the row ids run backwards, and the three commit
    // in reverse too (the one that started first commits last).
    type Step = () => void;
    const steps: { insert: Step; commit: Step; inserted: Promise<void> }[] = [];
    const done: Promise<unknown>[] = [];
    for (const name of ["first", "second", "third"]) {
      await new Promise<void>((began) => {
        let insert!: Step;
        let commit!: Step;
        let inserted!: Step;
        const step = { insert: () => insert(), commit: () => commit(), inserted: new Promise<void>((r) => (inserted = r)) };
        steps.push(step);
        done.push(
          t.sql.begin(async (tx) => {
            await tx`select pg_current_xact_id()`;
            began();
            await new Promise<void>((r) => (insert = r));
            await tx`insert into events (type) values (${`test.${name}`})`;
            inserted();
            await new Promise<void>((r) => (commit = r));
          }),
        );
      });
    }
    await t.sql`insert into events (type) values ('test.autocommit')`;
    for (const i of [2, 1, 0]) {
      steps[i]!.insert();
      await steps[i]!.inserted;
    }
    const releases = steps.map((s) => s.commit);
    const seen: FeedEvent[] = [];
    let at = cursor;
    const readMore = async () => {
      const page = await drain(at, 1000);
      seen.push(...page.events);
      at = page.cursor;
    };
    await readMore();
    expect(seen.map((e) => e.type)).toEqual([]); // held back while the first is open
    for (const i of [2, 1]) {
      releases[i]!();
      await done[i];
      await readMore();
    }
    expect(seen.map((e) => e.type)).toEqual([]); // the first, the oldest, is still open
    // Readers racing the sequencing while the last one commits.
    const racing = Promise.all(Array.from({ length: 4 }, () => drain(at, 2)));
    releases[0]!();
    await done[0];
    const raced = await racing;
    await readMore();
    expect(seen.map((e) => e.type)).toEqual(["test.first", "test.second", "test.third", "test.autocommit"]);
    const ids = seen.map((e) => BigInt(e.id));
    expect(ids.every((id, i) => i === 0 || id === ids[i - 1]! + 1n)).toBe(true); // consecutive: nothing skipped, nothing repeated
    expect(ids[0]).toBe(BigInt(cursor!) + 1n);
    // Every racing reader saw a prefix of the same sequence, never another order.
    for (const r of raced) expect(r.events.map((e) => e.id)).toEqual(seen.slice(0, r.events.length).map((e) => e.id));
  });

  it("is not held back by a transaction of another database on the cluster: it can write no event here", async () => {
    const { cursor } = await drain(null, 1000);
    // Transaction ids are the cluster's: a writer elsewhere (another application's database, another test file's)
    // took one before this event was written, and stays open while the feed is read.
    const elsewhere = postgres(withDatabase(t.databaseUrl, "postgres"), { max: 1, onnotice: () => {} });
    let release!: () => void;
    let began!: () => void;
    const started = new Promise<void>((r) => (began = r));
    const open = elsewhere.begin(async (tx) => {
      await tx`select pg_current_xact_id()`;
      began();
      await new Promise<void>((r) => (release = r));
    });
    try {
      await started;
      await t.sql`insert into events (type) values ('test.beside_another_database')`;
      expect((await drain(cursor, 1000)).events.map((e) => e.type)).toEqual(["test.beside_another_database"]);
    } finally {
      release();
      await open;
      await elsewhere.end();
    }
  });

  it("from=now starts at the feed's end, on the list and the stream", async () => {
    const { cursor } = await drain(null, 1000);
    const now = await t.api("GET", "/v1/events?from=now");
    expect(now.body).toEqual({ items: [], nextCursor: cursor, hasMore: false });
    expect((await t.api("GET", `/v1/events?from=now&after=${cursor}`)).status).toBe(400);
    const headers = { authorization: `Bearer ${t.config.apiClients[0]!.token}` };
    const stream = await fetch(`${t.plane.url}/v1/events/stream?from=now`, { headers });
    expect(stream.status).toBe(200);
    const reading = readSse(stream, 1);
    const created = await t.api("POST", "/v1/servers", serverBody(30), { "idempotency-key": "feed-now" });
    const got = await reading;
    expect(got.events[0]).toMatchObject({ type: "server.requested", serverId: created.body.id });
    expect(BigInt(got.events[0]!.id)).toBeGreaterThan(BigInt(cursor!));
  });

  it("pages one server's events, after a cursor", async () => {
    const created = await t.api("POST", "/v1/servers", serverBody(9), { "idempotency-key": "feed-one" });
    await t.api("POST", `/v1/servers/${created.body.id}/stop`);
    const all = await t.api("GET", `/v1/servers/${created.body.id}/events`);
    expect(all.body.items.length).toBeGreaterThanOrEqual(2);
    expect(all.body.items.every((e: FeedEvent) => e.serverId === created.body.id)).toBe(true);
    const first = await t.api("GET", `/v1/servers/${created.body.id}/events?limit=1`);
    expect(first.body).toMatchObject({ items: [all.body.items[0]], hasMore: true });
    const rest = await t.api("GET", `/v1/servers/${created.body.id}/events?after=${first.body.nextCursor}`);
    expect(rest.body.items).toEqual(all.body.items.slice(1));
    // The feed, filtered to the server, has the same events (to follow one server live).
    const followed = await t.api("GET", `/v1/events?serverId=${created.body.id}`);
    expect(followed.body.items.map((e: FeedEvent) => e.id)).toEqual(all.body.items.map((e: FeedEvent) => e.id));
  });

  it("streams the feed as server-sent events and resumes after Last-Event-ID without loss or repeats", async () => {
    const { events: before, cursor } = await drain(null, 1000);
    const headers = { authorization: `Bearer ${t.config.apiClients[0]!.token}` };
    const first = await fetch(`${t.plane.url}/v1/events/stream?after=${before.at(-3)!.id}`, { headers });
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toMatch(/^text\/event-stream/);
    // The last two known events first, then a live one as it happens.
    const reading = readSse(first, 2 + 1);
    const created = await t.api("POST", "/v1/servers", serverBody(20), { "idempotency-key": "feed-live" });
    const got = await reading;
    expect(got.events.slice(0, 2).map((e) => e.id)).toEqual(before.slice(-2).map((e) => e.id));
    expect(got.ids).toEqual(got.events.map((e) => e.id));
    expect(got.events.slice(2).every((e) => e.serverId === created.body.id)).toBe(true);

    // A reconnect with the last id seen gets exactly what came after it.
    await t.api("POST", `/v1/servers/${created.body.id}/stop`);
    const live = await drain(cursor, 1000);
    const seen = got.events.at(-1)!.id;
    const expected = live.events.slice(live.events.findIndex((e) => e.id === seen) + 1);
    expect(expected.length).toBeGreaterThan(0);
    const resumed = await fetch(`${t.plane.url}/v1/events/stream`, { headers: { ...headers, "last-event-id": seen } });
    const again = await readSse(resumed, expected.length);
    expect(again.events.map((e) => e.id)).toEqual(expected.map((e) => e.id));
  });

  it("refuses a stream with an unknown Last-Event-ID with 400 before streaming", async () => {
    const res = await fetch(`${t.plane.url}/v1/events/stream`, { headers: { authorization: `Bearer ${t.config.apiClients[0]!.token}`, "last-event-id": "999999999999" } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_cursor" });
  });

  // Last: it deletes the feed's oldest events.
  it("answers a cursor whose next events retention deleted with 410 cursor_expired, on the list and the stream", async () => {
    const page = (await t.api("GET", "/v1/events?limit=500")).body as { items: FeedEvent[] };
    expect(page.items.length).toBeGreaterThan(3);
    const [first, second, third] = page.items;
    await t.sql`update events set at = now() - interval '400 days' where position <= ${third!.id}::bigint`;
    const database = connectDatabase(t.databaseUrl, { max: 1 });
    try {
      expect(await pruneEvents(database.db, 90 * 86_400_000)).toBe(3);
    } finally {
      await database.close();
    }
    const expired = await t.api("GET", `/v1/events?after=${first!.id}`);
    expect(expired.status).toBe(410);
    expect(expired.body).toMatchObject({ error: "cursor_expired" });
    const stream = await fetch(`${t.plane.url}/v1/events/stream`, { headers: { authorization: `Bearer ${t.config.apiClients[0]!.token}`, "last-event-id": second!.id } });
    expect(stream.status).toBe(410);
    expect(await stream.json()).toMatchObject({ error: "cursor_expired" });
    // Right after the last deleted one nothing was lost: the feed goes on.
    const onward = await t.api("GET", `/v1/events?after=${third!.id}&limit=1`);
    expect(onward.status).toBe(200);
    expect(onward.body.items[0].id).toBe(page.items[3]!.id);
  });
});
