import type { ServerView } from "../api";
import { useState } from "preact/hooks";
import { mayOperate } from "../api";
import { useApi } from "../context";
import { ErrorNote } from "./ErrorNote";

const PATHS = { start: "/v1/servers/{id}/start", stop: "/v1/servers/{id}/stop", restart: "/v1/servers/{id}/restart" } as const;
type Action = keyof typeof PATHS;

/** Start, stop, restart: the intent is recorded (202) and the page follows the server's events to its end. */
export function PowerActions({ server }: { server: ServerView }) {
  const api = useApi();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (!mayOperate(api.caller)) return <p class="hint">This token has the {api.caller.scope} scope: it sees this server and cannot act on it.</p>;
  async function act(action: Action) {
    setBusy(true);
    setError(null);
    try {
      await api.call(api.client.api.POST(PATHS[action], { params: { path: { id: server.id } } }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  const gone = server.status === "deleting" || server.status === "deleted";
  return (
    <div class="actions">
      {(["start", "stop", "restart"] as const).map((a) => (
        <button type="button" key={a} disabled={busy || gone} onClick={() => act(a)}>
          {a[0]!.toUpperCase() + a.slice(1)}
        </button>
      ))}
      <ErrorNote error={error} />
    </div>
  );
}
