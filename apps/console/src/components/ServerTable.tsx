import type { Host } from "@zlh/client";
import type { ServerView } from "../api";
import { useState } from "preact/hooks";
import { Link } from "./Link";
import { StatusBadge } from "./StatusBadge";
import { TableHead } from "./TableHead";

function matches(s: ServerView, query: string): boolean {
  if (!query) return true;
  const q = query.toLowerCase();
  return [s.name, s.id, s.customerId, s.address ?? "", s.minecraftVersion, String(s.vmid ?? "")].some((f) => f.toLowerCase().includes(q));
}

/** The servers, counted by status (a count filters by it) and searchable by name, id, customer, address or version. */
export function ServerTable({ servers, hosts }: { servers: ServerView[]; hosts: Host[] }) {
  const [query, setQuery] = useState("");
  const [status, setStatus] = useState<string | null>(null);
  const hostName = new Map(hosts.map((h) => [h.id, h.name]));
  const counts = new Map<string, number>();
  for (const s of servers) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  const shown = servers.filter((s) => (status === null || s.status === status) && matches(s, query.trim()));
  return (
    <>
      <div class="filters">
        <input type="search" name="search" placeholder="Search name, id, customer, address" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
        <button type="button" class={status === null ? "chip active" : "chip"} onClick={() => setStatus(null)}>
          all {servers.length}
        </button>
        {[...counts].map(([s, n]) => (
          <button type="button" key={s} class={status === s ? "chip active" : "chip"} onClick={() => setStatus(status === s ? null : s)}>
            {s} {n}
          </button>
        ))}
      </div>
      {shown.length === 0 ? (
        <p class="notice">{servers.length === 0 ? "No server yet." : "No server matches."}</p>
      ) : (
        <table class="servers">
          <TableHead columns={["Name", "Status", "Customer", "Host", "Address", "Minecraft"]} />
          <tbody>
            {shown.map((s) => (
              <tr key={s.id} data-server={s.id}>
                <td>
                  <Link to={`servers/${s.id}`}>{s.name}</Link>
                </td>
                <td>
                  <StatusBadge status={s.status} />
                </td>
                <td>{s.customerId}</td>
                <td>{hostName.get(s.hostId) ?? s.hostId.slice(0, 8)}</td>
                <td>{s.connect ? `${s.connect.host}:${s.connect.port}` : s.address && s.ports ? `${s.address}:${s.ports.game}` : "-"}</td>
                <td>{s.minecraftVersion}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
