import type { components } from "@zlh/client";
import { useEffect, useState } from "preact/hooks";
import { mayAdminister } from "../api";
import { useApi } from "../context";
import { time } from "../format";
import { useCoalesced } from "../live/useCoalesced";
import { useLiveEvents } from "../live/useLiveEvents";
import { listAll } from "../lists";
import { ErrorNote } from "./ErrorNote";
import { Link } from "./Link";
import { TableHead } from "./TableHead";

type DriftItem = components["schemas"]["DriftItem"];

/** Open differences between the database and the hosts, live; an admin token may acknowledge one. */
export function DriftPage() {
  const api = useApi();
  const [items, setItems] = useState<DriftItem[] | null>(null);
  const [withAcknowledged, setWithAcknowledged] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const admin = mayAdminister(api.caller);
  const load = useCoalesced(async () => {
    try {
      const include = withAcknowledged ? { include: "acknowledged" as const } : {};
      setItems(await listAll(api, (cursor) => api.client.api.GET("/v1/drift", { params: { query: { limit: 500, ...include, ...(cursor ? { cursor } : {}) } } })));
      setError(null);
    } catch (err) {
      setError(err);
    }
  });
  useEffect(load, [withAcknowledged, load]);
  useLiveEvents(api, undefined, (e) => {
    if (!e || e.type.startsWith("drift.")) load();
  });
  async function acknowledge(id: string) {
    setError(null);
    try {
      await api.call(api.client.api.POST("/v1/drift/{id}/acknowledge", { params: { path: { id } } }));
      load();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <section>
      <h2>Drift</h2>
      <label class="toggle">
        <input type="checkbox" checked={withAcknowledged} onChange={(e) => setWithAcknowledged(e.currentTarget.checked)} /> show acknowledged
      </label>
      <ErrorNote error={error} />
      {items && items.length === 0 && <p class="notice">No drift: the hosts match the database.</p>}
      {items && items.length > 0 && (
        <table class="drift">
          <TableHead columns={["Kind", "Where", "Detected", "Detail", "Acknowledged"]} />
          <tbody>
            {items.map((d, i) => (
              <tr key={d.id ?? `edge-${i}`} data-drift={d.id ?? ""}>
                <td>{d.kind}</td>
                <td>
                  {d.vmid !== undefined ? `VMID ${d.vmid}` : ""}
                  {d.serverId ? (
                    <>
                      {" "}
                      <Link to={`servers/${d.serverId}`}>server</Link>
                    </>
                  ) : null}
                </td>
                <td>{time(d.detectedAt)}</td>
                <td class="detail">{JSON.stringify(d.detail)}</td>
                <td>
                  {d.acknowledged ? (
                    `by ${d.acknowledged.by}, ${time(d.acknowledged.at)}`
                  ) : admin && d.id ? (
                    <button type="button" class="small" onClick={() => acknowledge(d.id!)}>
                      Acknowledge
                    </button>
                  ) : (
                    "no"
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
