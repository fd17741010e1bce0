import { ZlhApiError, type Event } from "@zlh/client";
import { useEffect, useRef } from "preact/hooks";
import type { Api } from "../api";

/**
 * Follows the event feed (one server's with `serverId`) while the component
 * is shown: takes the feed's end first (`?from=now`), then calls
 * `onEvent(undefined)` so the page loads what it shows, then `onEvent` for
 * each event after that cursor, so nothing between the load and the stream
 * is missed. Stops when the component goes (the fetch is aborted) and when
 * the token dies (sign-out).
 */
export function useLiveEvents(api: Api, serverId: string | undefined, onEvent: (event: Event | undefined) => void): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    const abort = new AbortController();
    (async () => {
      try {
        const query = serverId ? { from: "now" as const, serverId } : { from: "now" as const };
        const start = await api.call(api.client.api.GET("/v1/events", { params: { query } }));
        handler.current(undefined);
        const follow = api.client.events({ ...(serverId ? { serverId } : {}), ...(start.nextCursor ? { after: start.nextCursor } : {}), signal: abort.signal });
        for await (const event of follow) handler.current(event);
      } catch (err) {
        if (abort.signal.aborted) return;
        if (err instanceof ZlhApiError && err.status === 401) api.expire(err.body.message);
      }
    })();
    return () => abort.abort();
  }, [api, serverId]);
}
