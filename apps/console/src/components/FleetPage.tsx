import type { Host } from "@zlh/client";
import { serverPage, type ServerView } from "../api";
import { useEffect, useState } from "preact/hooks";
import { useApi } from "../context";
import { useCoalesced } from "../live/useCoalesced";
import { useLiveEvents } from "../live/useLiveEvents";
import { listAll } from "../lists";
import { ErrorNote } from "./ErrorNote";
import { HostTable } from "./HostTable";
import { ServerTable } from "./ServerTable";

/** Heartbeats are not events: the hosts' figures are read again this often. */
const HOSTS_REFRESH_MS = 10_000;

/** The fleet: hosts and servers, loaded again on every event of the feed. */
export function FleetPage() {
  const api = useApi();
  const [hosts, setHosts] = useState<Host[] | null>(null);
  const [servers, setServers] = useState<ServerView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCoalesced(async () => {
    try {
      const [h, s] = await Promise.all([
        listAll(api, (cursor) => api.client.api.GET("/v1/hosts", { params: { query: { limit: 500, ...(cursor ? { cursor } : {}) } } })),
        listAll(api, (cursor) => serverPage(api, cursor)),
      ]);
      setHosts(h);
      setServers(s);
      setError(null);
    } catch (err) {
      setError(err);
    }
  });
  useLiveEvents(api, undefined, () => load());
  useEffect(() => {
    const timer = setInterval(load, HOSTS_REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);
  return (
    <>
      <ErrorNote error={error} />
      <section>
        <h2>Hosts</h2>
        {hosts ? <HostTable hosts={hosts} onChanged={load} /> : <p class="notice">Loading…</p>}
      </section>
      <section>
        <h2>Servers</h2>
        {servers ? <ServerTable servers={servers} hosts={hosts ?? []} /> : <p class="notice">Loading…</p>}
      </section>
    </>
  );
}
