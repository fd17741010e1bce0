import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, createServer, serverStatus } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { ADMIN_TOKEN, waitFor } from "../support/processes";

/** A sample's value from the text exposition format (0 when the series is absent). */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe("Prometheus metrics", () => {
  let c: E2eCluster;
  beforeAll(async () => {
    c = await startE2eCluster("metrics-host");
    c.startAgent();
    await waitFor(async () => (await c.call("GET", "/v1/hosts")).body.items[0].connected, 15_000, "agent connected");
  });
  afterAll(() => c?.close());

  const scrape = async () => {
    const res = await fetch(`${c.cp.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    return res.text();
  };

  it("needs an admin token", async () => {
    expect((await fetch(`${c.cp.url}/metrics`)).status).toBe(401);
    const panel = await c.call("POST", "/v1/api-tokens", { client: "a-panel", scope: "panel" });
    expect((await api(c.cp.url, panel.body.token)("GET", "/metrics")).status).toBe(403);
  });

  it("moves the counters and histograms through a lifecycle, and reads the fleet gauges", async () => {
    const before = await scrape();
    const server = await createServer(c.call);
    await waitFor(async () => (await serverStatus(c.call, server.id)) === "running", 30_000, "running");
    await c.call("DELETE", `/v1/servers/${server.id}`);
    await waitFor(async () => (await serverStatus(c.call, server.id)) === "deleted", 30_000, "deleted");
    const after = await scrape();

    const moved = (series: string) => sample(after, series) - sample(before, series);
    expect(moved('zlh_leases_granted_total{kind="provision"}')).toBe(1);
    expect(moved('zlh_leases_granted_total{kind="destroy"}')).toBe(1);
    expect(moved('zlh_operation_results_total{verdict="applied"}')).toBe(2);
    expect(moved('zlh_operation_dispatch_seconds_count{kind="provision"}')).toBe(1);
    expect(moved('zlh_operation_duration_seconds_count{kind="destroy",status="succeeded"}')).toBe(1);
    expect(moved('zlh_http_request_duration_seconds_count{method="POST",route="/v1/servers",status="202"}')).toBe(1);
    expect(sample(after, "zlh_connected_agents")).toBe(1);
    expect(sample(after, 'zlh_hosts{connected="true"}')).toBe(1);
    expect(sample(after, "zlh_heartbeat_lag_seconds")).toBeGreaterThanOrEqual(0);
    expect(after).toMatch(/^zlh_job_queue_depth \d+$/m);
    expect(after).toMatch(/^zlh_pg_connections\{state="idle"\} \d+$/m);
    expect(after).toMatch(/^zlh_process_resident_memory_bytes \d+/m);

    // The dashboard and alert rules in deploy/grafana are checked against this scrape and an agent's: grafanaProvisioning.test.ts.
  });
});
