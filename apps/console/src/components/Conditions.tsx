import type { ServerView } from "../api";
import { ago } from "../format";

/** `running` and `reachable`, each with its reason and since when. */
export function Conditions({ conditions }: { conditions: ServerView["conditions"] }) {
  if (conditions.length === 0) return null;
  return (
    <ul class="conditions">
      {conditions.map((c) => (
        <li key={c.type} class={c.status ? "ok" : "bad"} data-condition={c.type}>
          <strong>{c.type}</strong> {c.status ? "yes" : "no"} ({c.reason}): {c.message} <span class="sub">since {ago(c.since)}</span>
        </li>
      ))}
    </ul>
  );
}
