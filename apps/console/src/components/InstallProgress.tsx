import type { ServerView } from "../api";
import { bytes } from "../format";

/** The agent's phases in order (packages/protocol's progress report); the bar moves through them. */
const PHASES = ["creating", "downloading", "placing", "starting", "waiting"];
const WORKING = new Set(["pending", "provisioning", "starting"]);

/**
 * A bar while a provision, reinstall or change runs: the phase's place among
 * the phases, and within downloading the bytes (or files) done.
 */
export function InstallProgress({ server }: { server: ServerView }) {
  const p = server.progress;
  if (!p && !WORKING.has(server.status)) return null;
  const step = p ? Math.max(0, PHASES.indexOf(p.phase)) : 0;
  let within = 0;
  if (p?.bytesTotal) within = (p.bytesDone ?? 0) / p.bytesTotal;
  else if (p?.total) within = (p.done ?? 0) / p.total;
  const value = p ? (step + Math.min(1, within)) / PHASES.length : 0;
  const detail = !p
    ? server.status === "pending" ? "waiting for a host's agent" : server.status
    : [p.phase, p.total !== null ? `${p.done ?? 0}/${p.total} files` : "", p.bytesTotal !== null ? `${bytes(p.bytesDone ?? 0)}/${bytes(p.bytesTotal)}` : ""].filter(Boolean).join(", ");
  return (
    <div class="progress" data-phase={p?.phase ?? server.status}>
      <progress max={1} value={value} />
      <span>{detail}</span>
    </div>
  );
}
