import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@zlh/testing";
import { loadAgentConfig } from "@zlh/agent";
import { createServer } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { waitStatus } from "../support/lifecycle";
import { killSimServers, waitFor, type Proc } from "../support/processes";

/** One sample of a Prometheus text exposition: `name{labels} value`, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** The agent's own /metrics (docs/operations.md, Agent metrics), scraped from a real agent process. */
describe("the agent's metrics endpoint", () => {
  let c: E2eCluster;
  let agent: Proc;
  let url: string;

  beforeAll(async () => {
    c = await startE2eCluster("agent-metrics-host", { ZLH_LEASE_TTL_MS: "1500" });
    const port = await freePort();
    url = `http://127.0.0.1:${port}/metrics`;
    agent = c.startAgent({ extra: { ZLH_AGENT_METRICS_LISTEN: `127.0.0.1:${port}` } });
  });
  afterAll(async () => {
    await c?.close();
    if (c) await killSimServers(c.simRoot);
  });
  const scrape = async () => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text();
  };

  it("reports the connection, operations by kind and outcome, containers, cache and a running server's figures", async () => {
    await waitFor(async () => sample(await fetch(url).then((r) => r.text()).catch(() => ""), "zlh_agent_connected") === 1, 20_000, "connected");
    let text = await scrape();
    // Zero values before anything ran, so an alert on a kind sees 0.
    expect(sample(text, "zlh_agent_operations_finished_total", { kind: "provision", outcome: "succeeded" })).toBe(0);
    expect(sample(text, "zlh_agent_operations_in_flight", { kind: "restore" })).toBe(0);
    expect(sample(text, "zlh_agent_process_resident_memory_bytes")).toBeGreaterThan(0);

    const s = await createServer(c.call);
    await waitStatus(c.call, s.id, "running");
    await waitFor(async () => sample(await scrape(), "zlh_agent_operations_finished_total", { kind: "provision", outcome: "succeeded" }) === 1, 10_000, "provision counted");
    // The server's figures come with the first stats sample after it runs (then every 30 s).
    await waitFor(async () => sample(await scrape(), "zlh_agent_server_memory_bytes", { server_id: s.id }) !== undefined, 45_000, "server figures");
    text = await scrape();
    expect(sample(text, "zlh_agent_server_memory_bytes", { server_id: s.id, vmid: String(s.vmid) })).toBeGreaterThan(1024 * 1024);
    expect(sample(text, "zlh_agent_containers", { state: "running" })).toBe(1);
    expect(sample(text, "zlh_agent_containers", { state: "stopped" })).toBe(0);
    expect(sample(text, "zlh_agent_operations_in_flight", { kind: "provision" })).toBe(0);
    expect(sample(text, "zlh_agent_leases_held")).toBe(0);
    expect(sample(text, "zlh_agent_results_unacknowledged")).toBe(0);
    // The server jar and the rest of its manifest went through the cache.
    expect(sample(text, "zlh_agent_cache_bytes")).toBeGreaterThan(1000);
    expect(sample(text, "zlh_agent_heartbeat_ack_age_seconds")).toBeLessThan(5);

    // Stopped: its figures go, the container counts as stopped, the stop is counted.
    expect((await c.call("POST", `/v1/servers/${s.id}/stop`, {}, { "idempotency-key": "agent-metrics-stop" })).status).toBe(202);
    await waitStatus(c.call, s.id, "stopped");
    await waitFor(async () => sample(await scrape(), "zlh_agent_containers", { state: "stopped" }) === 1, 10_000, "stopped container");
    text = await scrape();
    expect(sample(text, "zlh_agent_server_memory_bytes", { server_id: s.id })).toBeUndefined();
    expect(sample(text, "zlh_agent_operations_finished_total", { kind: "stop", outcome: "succeeded" })).toBe(1);

    // Only /metrics is served, read-only.
    expect((await fetch(url.replace("/metrics", "/"))).status).toBe(404);
    expect((await fetch(url, { method: "POST" })).status).toBe(405);

    // The control plane gone: disconnected, and the acknowledgement ages.
    await c.cp.stop();
    await waitFor(async () => sample(await scrape(), "zlh_agent_connected") === 0, 10_000, "disconnected");
    expect(agent.ended()).toBe(false);
  });

  it("is off by default, loopback only unless allowed, and refuses what it cannot read", () => {
    const base = { ZLH_CONTROL_URL: "https://cp.example.net", ZLH_AGENT_TOKEN: "zlha_x" };
    expect(loadAgentConfig(base).metricsListen).toBeNull();
    expect(loadAgentConfig({ ...base, ZLH_AGENT_METRICS_LISTEN: "[::1]:9464" }).metricsListen).toEqual({ host: "::1", port: 9464 });
    expect(() => loadAgentConfig({ ...base, ZLH_AGENT_METRICS_LISTEN: "0.0.0.0:9464" })).toThrow(/not a loopback address/);
    expect(loadAgentConfig({ ...base, ZLH_AGENT_METRICS_LISTEN: "0.0.0.0:9464", ZLH_AGENT_METRICS_ALLOW_REMOTE: "true" }).metricsListen).toEqual({ host: "0.0.0.0", port: 9464 });
    expect(() => loadAgentConfig({ ...base, ZLH_AGENT_METRICS_LISTEN: "9464" })).toThrow(/expected host:port/);
    expect(() => loadAgentConfig({ ...base, ZLH_AGENT_METRICS_LISTEN: "127.0.0.1:70000" })).toThrow(/expected host:port/);
  });
});
