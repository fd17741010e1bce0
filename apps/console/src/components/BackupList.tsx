import type { Backup } from "@zlh/client";
import { useEffect, useState } from "preact/hooks";
import { mayOperate, type ServerView } from "../api";
import { useApi } from "../context";
import { bytes, time } from "../format";
import { useCoalesced } from "../live/useCoalesced";
import { ErrorNote } from "./ErrorNote";
import { TableHead } from "./TableHead";

/**
 * The server's newest backups; a panel or admin token may take one and
 * restore a completed one (two clicks: a restore stops the server and puts
 * the backup's world back).
 */
export function BackupList({ server, seen }: { server: ServerView; seen: number }) {
  const api = useApi();
  const [backups, setBackups] = useState<Backup[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [armed, setArmed] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const operate = mayOperate(api.caller);
  const load = useCoalesced(async () => {
    try {
      const page = await api.call(api.client.api.GET("/v1/servers/{id}/backups", { params: { path: { id: server.id }, query: { limit: 20 } } }));
      setBackups(page.items);
    } catch (err) {
      setError(err);
    }
  });
  useEffect(load, [seen, load]);

  async function act(run: () => Promise<unknown>, said: string) {
    setError(null);
    setDone(null);
    try {
      await run();
      setDone(said);
      load();
    } catch (err) {
      setError(err);
    }
  }
  const take = () => act(() => api.call(api.client.api.POST("/v1/servers/{id}/backups", { params: { path: { id: server.id } } })), "Backup requested.");
  const restore = (b: Backup) =>
    act(() => api.call(api.client.api.POST("/v1/servers/{id}/backups/{backupId}/restore", { params: { path: { id: server.id, backupId: b.id } } })), `Restore of ${b.id.slice(0, 8)} queued.`).finally(() => setArmed(null));

  return (
    <section class="backups">
      <h3>Backups</h3>
      {operate && (
        <button type="button" onClick={take} disabled={server.status === "deleted"}>
          Take a backup
        </button>
      )}
      {done && <p class="notice">{done}</p>}
      <ErrorNote error={error} />
      {backups && backups.length === 0 && <p class="notice">No backup yet.</p>}
      {backups && backups.length > 0 && (
        <table>
          <TableHead columns={["Taken", "Status", "Size", ""]} />
          <tbody>
            {backups.map((b) => (
              <tr key={b.id} data-backup={b.id}>
                <td title={b.id}>{time(b.createdAt)}</td>
                <td>{b.status}{b.error ? `: ${b.error}` : ""}</td>
                <td>{b.sizeBytes !== null ? bytes(b.sizeBytes) : "-"}</td>
                <td>
                  {operate && b.status === "completed" &&
                    (armed === b.id ? (
                      <button type="button" class="danger small" onClick={() => restore(b)}>
                        Confirm restore
                      </button>
                    ) : (
                      <button type="button" class="small" onClick={() => setArmed(b.id)}>
                        Restore
                      </button>
                    ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
