import { useState } from "preact/hooks";
import { useApi } from "../context";
import { ErrorNote } from "./ErrorNote";

/** One console command over RCON (POST /v1/servers/:id/commands); its reply goes to the log above. */
export function CommandBox({ serverId, disabled, onCommand, onReply }: { serverId: string; disabled: boolean; onCommand: (c: string) => void; onReply: (r: string) => void }) {
  const api = useApi();
  const [command, setCommand] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function submit(e: Event) {
    e.preventDefault();
    const sent = command.trim();
    if (!sent) return;
    setBusy(true);
    setError(null);
    try {
      onCommand(sent);
      const { reply } = await api.call(api.client.api.POST("/v1/servers/{id}/commands", { params: { path: { id: serverId } }, body: { command: sent } }));
      onReply(reply === "" ? "(no reply)" : reply);
      setCommand("");
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="command-box" onSubmit={submit} autocomplete="off">
      <input name="command" placeholder="a console command, e.g. list" maxLength={1446} value={command} disabled={disabled} onInput={(e) => setCommand(e.currentTarget.value)} />
      <button type="submit" disabled={disabled || busy}>Send</button>
      <ErrorNote error={error} />
    </form>
  );
}
