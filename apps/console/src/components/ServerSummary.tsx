import type { ServerView } from "../api";
import { bytes, time } from "../format";
import { Conditions } from "./Conditions";
import { InstallProgress } from "./InstallProgress";
import { StatusBadge } from "./StatusBadge";

function address(s: ServerView): string {
  if (s.connect) return `${s.connect.host}:${s.connect.port}`;
  if (s.address && s.ports) return `${s.address}:${s.ports.game}`;
  return "not yet";
}

function live(stats: NonNullable<ServerView["stats"]>): string {
  const parts = [
    stats.cpuPercent !== null ? `${stats.cpuPercent.toFixed(0)} % cpu` : "",
    stats.memoryBytes !== null ? `${bytes(stats.memoryBytes)} memory` : "",
    stats.playersOnline != null ? `${stats.playersOnline}/${stats.playersMax ?? "?"} players` : "",
  ];
  return parts.filter(Boolean).join(", ") || "no figures yet";
}

/** What the server is: status, where to connect, what it runs, why it failed if it did. */
export function ServerSummary({ server: s }: { server: ServerView }) {
  return (
    <section class="summary">
      <h2>
        {s.name} <StatusBadge status={s.status} />
      </h2>
      <dl>
        <dt>Address</dt>
        <dd data-field="address">{address(s)}</dd>
        <dt>Wanted</dt>
        <dd>
          {s.desiredState} (generation {s.generation})
        </dd>
        <dt>Game</dt>
        <dd>
          Minecraft {s.minecraftVersion}
          {`, ${s.type}`}
          {s.loaderVersion ? (s.type === "paper" || s.type === "purpur" ? ` build ${s.loaderVersion}` : ` loader ${s.loaderVersion}`) : ""}
          {s.mods.length > 0 ? `, mods: ${s.mods.map((m) => m.project).join(", ")}` : ""}
        </dd>
        <dt>Resources</dt>
        <dd>
          {s.memoryMiB} MiB, {s.cpuCores} cores, {s.diskGiB} GiB{s.vmid !== null ? `, VMID ${s.vmid}` : ""}
        </dd>
        <dt>Customer</dt>
        <dd>{s.customerId}</dd>
        {s.stats && (
          <>
            <dt>Live</dt>
            <dd>{live(s.stats)}</dd>
          </>
        )}
        <dt>Created</dt>
        <dd>{time(s.createdAt)}</dd>
      </dl>
      <InstallProgress server={s} />
      {s.failureReason && <p class="error">Failed: {s.failureReason}</p>}
      {s.lastError && (
        <p class="error">
          Retrying: {s.lastError.code}: {s.lastError.message}
          {s.lastError.url ? ` (${s.lastError.url})` : ""}
        </p>
      )}
      {s.lastCrash && (
        <p class="error">
          Last crash {time(s.lastCrash.at)}: {s.lastCrash.summary ?? s.lastCrash.reason}
          {s.lastCrash.hint ? `. ${s.lastCrash.hint}` : ""}
        </p>
      )}
      <Conditions conditions={s.conditions} />
    </section>
  );
}
