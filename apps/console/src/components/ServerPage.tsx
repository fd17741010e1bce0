import type { Event } from "@zlh/client";
import { getServer, type ServerView } from "../api";
import { ZlhApiError } from "@zlh/client";
import { useState } from "preact/hooks";
import { useApi } from "../context";
import { useCoalesced } from "../live/useCoalesced";
import { useLiveEvents } from "../live/useLiveEvents";
import { BackupList } from "./BackupList";
import { ChangeHistory } from "./ChangeHistory";
import { ConsoleLog } from "./ConsoleLog";
import { ErrorNote } from "./ErrorNote";
import { EventLog } from "./EventLog";
import { PowerActions } from "./PowerActions";
import { ServerSummary } from "./ServerSummary";

/** How many live events the page keeps. */
const EVENTS_KEPT = 200;

/** One server, live: every event of it reloads the server, and backup or change events their lists. */
export function ServerPage({ id }: { id: string }) {
  const api = useApi();
  const [server, setServer] = useState<ServerView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [events, setEvents] = useState<Event[]>([]);
  const [backupsSeen, setBackupsSeen] = useState(0);
  const [changesSeen, setChangesSeen] = useState(0);
  const load = useCoalesced(async () => {
    try {
      setServer(await getServer(api, id));
      setError(null);
    } catch (err) {
      setError(err);
    }
  });
  useLiveEvents(api, id, (event) => {
    load();
    if (!event) return;
    setEvents((prev) => [event, ...prev].slice(0, EVENTS_KEPT));
    if (event.type.startsWith("backup.") || event.type.startsWith("server.restore")) setBackupsSeen((n) => n + 1);
    if (event.type.startsWith("server.change_")) setChangesSeen((n) => n + 1);
  });
  if (error instanceof ZlhApiError && error.status === 404) return <p class="notice">No server {id}.</p>;
  if (!server) return error ? <ErrorNote error={error} /> : <p class="notice">Loading…</p>;
  return (
    <>
      <ErrorNote error={error} />
      <ServerSummary server={server} />
      <PowerActions server={server} />
      <div class="columns">
        <ConsoleLog server={server} />
        <EventLog events={events} />
      </div>
      <BackupList server={server} seen={backupsSeen} />
      <ChangeHistory serverId={server.id} seen={changesSeen} />
    </>
  );
}
