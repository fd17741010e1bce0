import type { Event } from "@zlh/client";

/** What an event says in one line: its type, who caused it, and its own facts. */
function describe(e: Event): string {
  const data = e.data as Record<string, unknown>;
  if (e.type === "server.status_changed") return `${data.from} → ${data.to}`;
  if (e.type === "server.progress") return [data.phase, data.total != null ? `${data.done}/${data.total}` : ""].filter(Boolean).join(" ");
  const text = JSON.stringify(data);
  return text === "{}" ? "" : text.length > 160 ? `${text.slice(0, 160)}…` : text;
}

/** The server's events since the page opened, newest first, as the feed delivers them. */
export function EventLog({ events }: { events: Event[] }) {
  return (
    <section class="events">
      <h3>Live events</h3>
      {events.length === 0 ? (
        <p class="notice">No event since this page opened.</p>
      ) : (
        <ol>
          {events.map((e) => (
            <li key={e.id} data-type={e.type}>
              <time>{new Date(e.at).toLocaleTimeString()}</time> <strong>{e.type}</strong> {describe(e)}
              {e.actor ? <span class="sub"> by {e.actor}</span> : null}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
