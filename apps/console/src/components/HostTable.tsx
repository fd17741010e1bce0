import type { Host } from "@zlh/client";
import { useState } from "preact/hooks";
import { mayAdminister } from "../api";
import { useApi } from "../context";
import { ago } from "../format";
import { CapacityBar } from "./CapacityBar";
import { ErrorNote } from "./ErrorNote";
import { TableHead } from "./TableHead";

/** The hosts: connection, last heartbeat, cordon state (admin tokens may change it), and what their servers hold. */
export function HostTable({ hosts, onChanged }: { hosts: Host[]; onChanged: () => void }) {
  const api = useApi();
  const [error, setError] = useState<unknown>(null);
  const admin = mayAdminister(api.caller);
  async function setCordon(host: Host, cordon: boolean) {
    setError(null);
    try {
      const path = cordon ? "/v1/hosts/{id}/cordon" : "/v1/hosts/{id}/uncordon";
      await api.call(api.client.api.POST(path, { params: { path: { id: host.id } } }));
      onChanged();
    } catch (err) {
      setError(err);
    }
  }
  if (hosts.length === 0) return <p class="notice">No host is enrolled yet.</p>;
  return (
    <>
      <ErrorNote error={error} />
      <table class="hosts">
        <TableHead columns={["Host", "Agent", "Last heartbeat", "Placement", "Capacity held", "Servers"]} />
        <tbody>
          {hosts.map((h) => (
            <tr key={h.id} data-host={h.name}>
              <td>
                {h.name}
                <div class="sub">{h.node}</div>
              </td>
              <td class={h.connected ? "ok" : "bad"}>{h.connected ? "connected" : "disconnected"}</td>
              <td title={h.lastHeartbeatAt ?? ""}>{ago(h.lastHeartbeatAt)}</td>
              <td>
                <span class={h.cordoned ? "bad" : "ok"}>{h.cordoned ? "cordoned" : "open"}</span>
                {admin && (
                  <button type="button" class="small" onClick={() => setCordon(h, !h.cordoned)}>
                    {h.cordoned ? "Uncordon" : "Cordon"}
                  </button>
                )}
              </td>
              <td>
                <CapacityBar label="memory" used={h.allocated.memoryMiB} total={h.capacity.memoryMiB} unit="MiB" />
                <CapacityBar label="cpu" used={h.allocated.cpuCores} total={h.capacity.cpuCores} unit="cores" />
                <CapacityBar label="disk" used={h.allocated.diskGiB} total={h.capacity.diskGiB} unit="GiB" />
              </td>
              <td>
                {h.servers.running}/{h.servers.total} running
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
