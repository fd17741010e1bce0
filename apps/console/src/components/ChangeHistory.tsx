import type { components } from "@zlh/client";
import { useEffect, useState } from "preact/hooks";
import { useApi } from "../context";
import { time } from "../format";
import { useCoalesced } from "../live/useCoalesced";
import { ErrorNote } from "./ErrorNote";
import { TableHead } from "./TableHead";

type Change = components["schemas"]["ServerChange"];

function summary(c: Change): string {
  return Object.entries(c.changes)
    .map(([k, v]) => `${k}: ${JSON.stringify(v.from)} → ${JSON.stringify(v.to)}`)
    .join("; ");
}

/** Every change of the server, newest first: what it set, how it ended and why. */
export function ChangeHistory({ serverId, seen }: { serverId: string; seen: number }) {
  const api = useApi();
  const [changes, setChanges] = useState<Change[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCoalesced(async () => {
    try {
      setChanges((await api.call(api.client.api.GET("/v1/servers/{id}/changes", { params: { path: { id: serverId }, query: { limit: 20 } } }))).items);
    } catch (err) {
      setError(err);
    }
  });
  useEffect(load, [seen, load]);
  return (
    <section class="changes">
      <h3>Changes</h3>
      <ErrorNote error={error} />
      {changes && changes.length === 0 && <p class="notice">No change since it was created.</p>}
      {changes && changes.length > 0 && (
        <table>
          <TableHead columns={["Generation", "Status", "What", "Asked", "Ended"]} />
          <tbody>
            {changes.map((c) => (
              <tr key={c.generation} data-generation={c.generation}>
                <td>{c.generation}</td>
                <td>{c.status}{c.reason ? `: ${c.reason}` : ""}</td>
                <td>{summary(c)}</td>
                <td>{time(c.requestedAt)}</td>
                <td>{time(c.endedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
