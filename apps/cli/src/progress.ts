import { CliError, EXIT } from "./exitCodes";
import type { Ctx } from "./output";
import { pause } from "./pause";
import { bytes, printable, seg } from "./output";

/** What a wait ends on. A create or reinstall ends at `running`; a change when its generation is applied and running. */
/** `again`: the server is there already (a restart, a reinstall): only a move into `status` after the request counts. */
export type Goal = { kind: "status"; status: string; again?: boolean } | { kind: "change"; generation: number };

interface ServerView {
  id: string;
  status: string;
  generation: number;
  failureReason: string | null;
  change: ChangeView | null;
  progress?: unknown;
  /** The error the control plane is retrying (an upstream it cannot reach, ...), while it retries. */
  lastError?: { code: string; message: string; at: string } | null;
}

type ChangeView = { generation: number; status: string; reason: string | null };

/** A change that is no longer the server's in progress: its entry in the history (newest first), or null if not there yet. */
async function endedChange(ctx: Ctx, id: string, generation: number): Promise<ChangeView | null> {
  let cursor: string | null = null;
  do {
    const q: URLSearchParams = new URLSearchParams({ limit: "50", ...(cursor ? { cursor } : {}) });
    const page: { items: ChangeView[]; nextCursor: string | null } = (await ctx.client.call<{ items: ChangeView[]; nextCursor: string | null }>("GET", `/v1/servers/${seg(id)}/changes?${q}`)).body;
    const found = page.items.find((c) => c.generation <= generation);
    if (found) return found.generation === generation ? found : null;
    cursor = page.nextCursor;
  } while (cursor);
  return null;
}

interface EventItem {
  id: string;
  type: string;
  operationId?: string | null;
  data: Record<string, unknown>;
}

/** The phases a provision goes through, as its status and events show them; the bar is their count. */
const PHASES = ["requested", "manifest resolved", "placing on the host", "starting the game", "running"] as const;

function phaseOf(server: ServerView, seen: Set<string>, done: boolean, reported: unknown): number {
  if (done) return 4;
  if (server.status === "starting" || seen.has("starting") || reported === "starting" || reported === "waiting") return 3;
  if (server.status === "provisioning" || seen.has("provisioning") || seen.has("op.leased") || seen.has("server.progress")) return 2;
  if (seen.has("server.manifest_resolved") || seen.has("server.change_resolved")) return 1;
  return 0;
}

/**
 * Numbers a progress report may carry (`{ phase, done, total, bytesDone, bytesTotal }` on the server's `progress`
 * or an event's data): "downloading 3/12 files, 5.1 MiB/20.0 MiB". Only numbers and short printable text are shown.
 */
export function progressDetail(p: unknown): string | null {
  if (p === null || typeof p !== "object") return null;
  const o = p as Record<string, unknown>;
  const num = (k: string) => (typeof o[k] === "number" && Number.isFinite(o[k]) ? (o[k] as number) : null);
  const phase = typeof o.phase === "string" && /^[\w .:-]{1,40}$/.test(o.phase) ? o.phase : null;
  const parts: string[] = [];
  const done = num("done") ?? num("filesDone");
  const total = num("total") ?? num("filesTotal");
  if (done !== null && total !== null) parts.push(`${done}/${total}`);
  const bd = num("bytesDone");
  const bt = num("bytesTotal");
  if (bd !== null) parts.push(bt !== null ? `${bytes(bd)}/${bytes(bt)}` : bytes(bd));
  if (!phase && parts.length === 0) return null;
  return [phase, ...parts].filter(Boolean).join(" ");
}

function bar(step: number, of: number, width = 20): string {
  const filled = Math.round((step / of) * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
}

/** The server's events after `cursor`, following nextCursor to the end; returns the new cursor. */
export async function serverEventsAfter(ctx: Ctx, id: string, cursor: string | null, onEvent: (e: EventItem) => void = () => {}): Promise<string | null> {
  let after = cursor;
  for (let page = 0; page < 1000; page++) {
    const q = new URLSearchParams({ limit: "1000" });
    if (after) q.set("after", after);
    const res = await ctx.client.call<{ items: EventItem[]; nextCursor: string | null; hasMore: boolean }>("GET", `/v1/servers/${seg(id)}/events?${q}`);
    for (const e of res.body.items as EventItem[]) onEvent(e);
    after = res.body.nextCursor ?? after;
    if (!res.body.hasMore) break;
  }
  return after;
}

/**
 * Follows a server until `goal` or failure, drawing its phases on stderr: a bar redrawn in place on a terminal, a
 * line per phase otherwise (logs, CI). Polls the server and its events every `intervalMs`; bounded by `timeoutMs`.
 */
export async function waitForServer(
  ctx: Ctx,
  id: string,
  goal: Goal,
  opts: { timeoutMs: number; cursor: string | null; intervalMs?: number; knownErrorAt?: string | null },
): Promise<ServerView> {
  const tty = process.stderr.isTTY === true;
  const deadline = Date.now() + opts.timeoutMs;
  const seen = new Set<string>();
  let cursor = opts.cursor;
  let last = "";
  let detail: string | null = null;
  // What the accepted answer already showed is not news; each different error retried after it is said once.
  const knownErrorAt = opts.knownErrorAt ?? null;
  let lastErrorSaid = "";
  let reportedPhase: unknown = null;
  // The bar never goes back within one attempt of the operation (a late look or event must not undo a phase drawn);
  // a new attempt (a lease expired, the agent retried) starts over from placing, and is said.
  const attempts = new Map<string, number>();
  let floor = 0;
  // What the events alone say: they are read after each look at the server, so they are never older than it.
  const byEvents: ServerView = { id, status: "pending", generation: 0, failureReason: null, change: null, progress: null };
  const barred = goal.kind === "change" || goal.status === "running";
  const draw = (server: ServerView, done: boolean) => {
    // The agent's own report (the last server.progress event: each phase is one) says where its operation is.
    const step = Math.max(floor, phaseOf(server, seen, done, reportedPhase));
    floor = step;
    const text = !barred
        ? `${server.status}${done ? "" : ` (waiting for ${goal.status})`}`
        : `${bar(step, PHASES.length - 1)} ${step + 1}/${PHASES.length} ${PHASES[step]}${detail && !done ? ` (${detail})` : ""}`;
    if (text === last) return;
    last = text;
    if (tty) process.stderr.write(`\r\x1b[2K${text}`);
    else ctx.err(text);
  };
  // A server stuck on an error being retried (an upstream unreachable) would otherwise look like a frozen bar.
  const sayError = (server: ServerView) => {
    const e = server.lastError;
    const said = e ? printable(`retrying: ${e.message} (${e.code})`) : "";
    if (!e || e.at === knownErrorAt || said === lastErrorSaid) return;
    lastErrorSaid = said;
    if (tty && last) process.stderr.write("\r\x1b[2K");
    ctx.err(said);
    last = "";
  };
  const onEvent = (e: EventItem) => {
    if (e.type === "op.leased" && e.operationId && typeof e.data.attempt === "number" && Number.isSafeInteger(e.data.attempt)) {
      const before = attempts.get(e.operationId);
      if (before !== undefined && e.data.attempt > before && barred) {
        if (tty && last) process.stderr.write("\r\x1b[2K");
        ctx.err(printable(`retrying: attempt ${e.data.attempt} of the ${typeof e.data.kind === "string" ? e.data.kind.slice(0, 32) : "operation"}`));
        last = "";
        // The earlier attempt's phases are behind it: this one is placed again, then started.
        floor = Math.min(floor, 2);
        reportedPhase = null;
        detail = null;
        seen.delete("starting");
      }
      attempts.set(e.operationId, Math.max(before ?? 0, e.data.attempt));
    }
    seen.add(e.type);
    if (e.type === "server.status_changed" && typeof e.data.to === "string") seen.add(e.data.to);
    detail = progressDetail(e.data.progress ?? (e.type.endsWith("progress") ? e.data : null)) ?? detail;
    if (e.type === "server.progress") reportedPhase = e.data.phase;
    // Each event drawn as it comes, so a phase passed between two polls still gets its line.
    if (barred) draw(byEvents, false);
  };
  const end = () => {
    if (tty && last) process.stderr.write("\n");
  };
  try {
    for (;;) {
      if (ctx.signal.aborted) throw new CliError(`interrupted; server ${id} goes on without the CLI watching`, EXIT.interrupted);
      // The server first, then the events up to now: a draw never goes back (the events hold every phase and
      // status the server showed), and a phase passed between two looks is drawn from its event.
      const server = (await ctx.client.call<ServerView>("GET", `/v1/servers/${seg(id)}`)).body;
      cursor = await serverEventsAfter(ctx, id, cursor, onEvent);
      sayError(server);
      // Within the phase the events last reported, the server's own report has the newer counts.
      const reported = server.progress as { phase?: unknown } | null | undefined;
      if (reported && reported.phase === reportedPhase) detail = progressDetail(reported) ?? detail;
      const change = goal.kind === "change" ? (server.change?.generation === goal.generation ? server.change : await endedChange(ctx, id, goal.generation)) : null;
      const done =
        goal.kind === "status" ? server.status === goal.status && (!goal.again || seen.has(goal.status)) : change?.status === "applied" && (server.status === "running" || server.status === "stopped");
      draw(server, done);
      if (done) return server;
      if (server.status === "failed") throw new CliError(`server ${id} failed: ${server.failureReason ?? "no reason given"}`, EXIT.waitFailed);
      if (change && (change.status === "rolled_back" || change.status === "failed")) {
        throw new CliError(`change ${change.generation} ${change.status.replace("_", " ")}: ${change.reason ?? "no reason given"}`, EXIT.waitFailed);
      }
      if (Date.now() > deadline) throw new CliError(`server ${id} is ${server.status} after ${Math.round(opts.timeoutMs / 1000)} s; still waiting for it is up to you (zlh servers get ${id})`, EXIT.waitFailed);
      await pause(opts.intervalMs ?? 500, ctx.signal);
    }
  } finally {
    end();
  }
}
