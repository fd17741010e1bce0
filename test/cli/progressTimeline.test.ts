import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { Client } from "../../apps/cli/src/http";
import type { Ctx } from "../../apps/cli/src/output";
import { waitForServer } from "../../apps/cli/src/progress";

/**
 * A provision as the control plane's API shows it, one tick per request: each answer is the state at its own moment,
 * so a look at the server and the events read just before it disagree, as they do over a network. The events are the
 * routes' shapes (GET /v1/servers/:id/events: items, nextCursor, hasMore).
 */
type Timeline = { status: string; events: { type: string; data: Record<string, unknown>; operationId?: string }[] }[];
const TIMELINE: Timeline = [
  { status: "pending", events: [{ type: "server.requested", data: {} }] },
  // Resolved, queued, leased and provisioning within one tick: the server's next look already says provisioning.
  {
    status: "provisioning",
    events: [
      { type: "server.manifest_resolved", data: {} },
      { type: "op.leased", data: { kind: "provision" } },
      { type: "server.status_changed", data: { from: "pending", to: "provisioning" } },
    ],
  },
  { status: "provisioning", events: [{ type: "server.progress", data: { phase: "downloading", done: 0, total: 9, bytesDone: 0, bytesTotal: 5410 } }] },
  { status: "provisioning", events: [{ type: "server.progress", data: { phase: "starting" } }] },
  { status: "running", events: [{ type: "server.status_changed", data: { from: "provisioning", to: "running" } }] },
];

let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => server?.close(r));
});

async function apiOfTimeline(timeline: Timeline = TIMELINE): Promise<string> {
  let tick = 0;
  const events = timeline.flatMap((t, at) => t.events.map((e) => ({ ...e, at })));
  server = createServer((req, res) => {
    const now = Math.min(tick++, timeline.length - 1);
    const url = new URL(req.url!, "http://x");
    res.setHeader("content-type", "application/json");
    if (url.pathname.endsWith("/events")) {
      const after = Number(url.searchParams.get("after") ?? 0);
      const items = events.map((e, i) => ({ id: String(i + 1), type: e.type, data: e.data, operationId: e.operationId ?? null, at: e.at })).filter((e) => e.at <= now && Number(e.id) > after);
      res.end(JSON.stringify({ items, nextCursor: items.at(-1)?.id ?? (after ? String(after) : null), hasMore: false }));
    } else {
      res.end(JSON.stringify({ id: "s1", status: timeline[now]!.status, generation: 1, failureReason: null, change: null, progress: null, lastError: null }));
    }
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function drawn(timeline?: Timeline): Promise<string[]> {
  const lines: string[] = [];
  const ctx: Ctx = {
    client: new Client({ url: await apiOfTimeline(timeline), token: "t", ca: null }),
    json: false,
    out: () => {},
    err: (l) => lines.push(l),
    signal: new AbortController().signal,
  };
  await waitForServer(ctx, "s1", { kind: "status", status: "running" }, { timeoutMs: 10_000, cursor: null, intervalMs: 1 });
  return lines;
}

const OP = "00000000-0000-4000-8000-000000000001";
const leased = (attempt: number) => ({ type: "op.leased", operationId: OP, data: { kind: "provision", attempt } });
const progress = (phase: string) => ({ type: "server.progress", operationId: OP, data: { phase } });

describe("zlh's progress against the API's timeline", () => {
  it("never draws a phase back within one attempt: a later report of an earlier phase keeps the bar where it was", async () => {
    const lines = await drawn([
      { status: "pending", events: [{ type: "server.manifest_resolved", data: {} }, leased(1)] },
      { status: "provisioning", events: [progress("waiting")] },
      // An agent's late report of an earlier phase (or one a look read out of order) is not news.
      { status: "provisioning", events: [progress("placing")] },
      { status: "running", events: [{ type: "server.status_changed", data: { from: "provisioning", to: "running" } }] },
    ]);
    const steps = lines.map((l) => Number(/ (\d)\/5 /.exec(l)?.[1]));
    expect(steps).toEqual([...steps].sort());
    expect(lines.at(-1)).toBe("[####################] 5/5 running");
  });

  it("says a new attempt of the operation and draws its phases again from placing", async () => {
    const lines = await drawn([
      { status: "pending", events: [{ type: "server.manifest_resolved", data: {} }, leased(1)] },
      { status: "provisioning", events: [progress("waiting")] },
      // The lease expired (the host went away): the operation is leased again, and starts over.
      { status: "provisioning", events: [leased(2), progress("downloading")] },
      { status: "provisioning", events: [progress("waiting")] },
      { status: "running", events: [{ type: "server.status_changed", data: { from: "provisioning", to: "running" } }] },
    ]);
    const retry = lines.indexOf("retrying: attempt 2 of the provision");
    expect(retry, lines.join("\n")).toBeGreaterThan(0);
    expect(lines.slice(0, retry).at(-1)).toMatch(/ 4\/5 starting the game \(waiting\)$/);
    expect(lines[retry + 1]).toMatch(/ 3\/5 placing on the host/);
    expect(lines.slice(retry + 1)).toContainEqual(expect.stringMatching(/ 4\/5 starting the game \(waiting\)$/));
    expect(lines.filter((l) => l.startsWith("retrying:"))).toHaveLength(1);
    expect(lines.at(-1)).toBe("[####################] 5/5 running");
  });

  it("forgets the earlier attempt's start: a retry after the server was starting draws placing, not starting", async () => {
    const lines = await drawn([
      { status: "pending", events: [{ type: "server.manifest_resolved", data: {} }, leased(1)] },
      { status: "starting", events: [{ type: "server.status_changed", data: { from: "provisioning", to: "starting" } }] },
      { status: "provisioning", events: [leased(2), progress("downloading")] },
      { status: "provisioning", events: [progress("waiting")] },
      { status: "running", events: [{ type: "server.status_changed", data: { from: "starting", to: "running" } }] },
    ]);
    const retry = lines.indexOf("retrying: attempt 2 of the provision");
    expect(retry, lines.join("\n")).toBeGreaterThan(0);
    expect(lines[retry + 1]).toMatch(/^\[#{10}-{10}\] 3\/5 placing on the host/);
    expect(lines.slice(retry)).toContain("[##########----------] 3/5 placing on the host (downloading)");
    expect(lines.slice(retry)).not.toContainEqual(expect.stringMatching(/starting the game \(downloading\)/));
    expect(lines.at(-1)).toBe("[####################] 5/5 running");
  });

  it("draws every phase once, in order, also one the server's next look had already passed", async () => {
    const lines: string[] = [];
    const ctx: Ctx = {
      client: new Client({ url: await apiOfTimeline(), token: "t", ca: null }),
      json: false,
      out: () => {},
      err: (l) => lines.push(l),
      signal: new AbortController().signal,
    };
    await waitForServer(ctx, "s1", { kind: "status", status: "running" }, { timeoutMs: 10_000, cursor: null, intervalMs: 1 });
    expect(lines).toEqual([
      "[--------------------] 1/5 requested",
      "[#####---------------] 2/5 manifest resolved",
      "[##########----------] 3/5 placing on the host",
      "[##########----------] 3/5 placing on the host (downloading 0/9 0 B/5.3 KiB)",
      "[###############-----] 4/5 starting the game (starting)",
      "[####################] 5/5 running",
    ]);
  });
});
