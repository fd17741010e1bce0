import type { ServerView } from "../api";
import { useEffect, useRef, useState } from "preact/hooks";
import { mayOperate } from "../api";
import { useApi } from "../context";
import { followLog } from "../live/followLog";
import { CommandBox } from "./CommandBox";
import { ErrorNote } from "./ErrorNote";

/** Lines kept in the page; older ones scroll away. */
const LINES_KEPT = 1000;
/** The log is read from the host while the game runs. */
const HAS_LOG = new Set(["running", "starting", "stopping"]);

type Line = { n: number; text: string; kind: "log" | "command" | "reply" };

/**
 * The console log live and a command box. The stream is opened while the
 * server runs (a panel or admin token: the log is not for read tokens) and
 * ends when the page goes, the server stops or the token dies (each new
 * stream starts again from the log's last lines). A command's reply is
 * written into the log under the command.
 */
export function ConsoleLog({ server }: { server: ServerView }) {
  const api = useApi();
  const [lines, setLines] = useState<Line[]>([]);
  const [error, setError] = useState<unknown>(null);
  const counter = useRef(0);
  const pane = useRef<HTMLPreElement>(null);
  const allowed = mayOperate(api.caller);
  const live = allowed && HAS_LOG.has(server.status);

  function append(kind: Line["kind"], text: string) {
    const added = text.split(/\r\n|\r|\n/).map((t) => ({ n: counter.current++, text: t, kind }));
    setLines((prev) => [...prev, ...added].slice(-LINES_KEPT));
  }

  useEffect(() => {
    if (!live) return;
    const abort = new AbortController();
    setError(null);
    // A new stream starts with the log's last lines again: what the old one showed would repeat (commands and replies stay).
    setLines((prev) => prev.filter((l) => l.kind !== "log"));
    followLog({ serverId: server.id, token: api.token, signal: abort.signal, onLine: (l) => append("log", l), onUnauthorized: api.expire }).catch((err: unknown) => {
      if (!abort.signal.aborted) setError(err);
    });
    return () => abort.abort();
  }, [live, server.id, api]);

  useEffect(() => {
    const el = pane.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines]);

  return (
    <section class="console">
      <h3>Console</h3>
      {!allowed && <p class="hint">The console log and commands need a panel or admin token; this one has the {api.caller.scope} scope.</p>}
      {allowed && !live && <p class="notice">The log is followed while the server runs (it is {server.status}).</p>}
      <ErrorNote error={error} />
      <pre class="log" ref={pane} role="log">
        {lines.map((l) => (
          <div key={l.n} class={`line line-${l.kind}`}>
            {l.text}
          </div>
        ))}
      </pre>
      <CommandBox serverId={server.id} disabled={!allowed || server.status !== "running"} onCommand={(c) => append("command", `> ${c}`)} onReply={(r) => append("reply", r)} />
    </section>
  );
}
