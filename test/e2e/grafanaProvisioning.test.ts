import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { freePort } from "@zlh/testing";
import { createServer } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { waitStatus } from "../support/lifecycle";
import { ADMIN_TOKEN, killSimServers, waitFor } from "../support/processes";
import { readExposition, selectors, type Exposition } from "../support/promql";

const GRAFANA = join(import.meta.dirname, "../../deploy/grafana");
/** Labels Prometheus adds to every scraped series: not the process's own. */
const TARGET_LABELS = new Set(["instance", "job"]);

/**
 * deploy/grafana's dashboard and alert rules query only what a control plane and an agent, both
 * running, export: each metric name, each label a selector matches on, and each fixed value it
 * matches. A metric renamed or a label dropped in the code breaks this test.
 */
describe("the Grafana dashboard and alert rules in deploy/grafana", () => {
  let c: E2eCluster;
  let exported: Exposition;

  beforeAll(async () => {
    c = await startE2eCluster("grafana-host", { ZLH_LEASE_TTL_MS: "1500" });
    const port = await freePort();
    c.startAgent({ extra: { ZLH_AGENT_METRICS_LISTEN: `127.0.0.1:${port}` } });
    const s = await createServer(c.call);
    await waitStatus(c.call, s.id, "running");
    // The agent's per-server figures come with its first stats sample after the server runs.
    const agentText = await waitFor(async () => {
      const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
      return text.includes("zlh_agent_server_memory_bytes{") && text;
    }, 45_000, "the agent's server figures");
    const cpText = await (await fetch(`${c.cp.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    exported = readExposition(cpText, agentText);
  });
  afterAll(async () => {
    await c?.close();
    if (c) await killSimServers(c.simRoot);
  });

  /** What in `expr` is not exported, one sentence each. */
  function unknownIn(expr: string): string[] {
    const problems: string[] = [];
    for (const sel of selectors(expr)) {
      if (!exported.names.has(sel.metric)) {
        problems.push(`${sel.metric} is not exported`);
        continue;
      }
      const series = exported.series.get(sel.metric) ?? [];
      for (const m of sel.matchers) {
        if (TARGET_LABELS.has(m.label) || series.length === 0) continue;
        if (!series.some((s) => m.label in s)) problems.push(`${sel.metric} has no label ${m.label}`);
        else if (!m.value.includes("$") && (m.op === "=" || m.op === "=~")) {
          for (const v of m.op === "=" ? [m.value] : m.value.split("|")) {
            if (/^[\w-]+$/.test(v) && !series.some((s) => s[m.label] === v)) problems.push(`${sel.metric}{${m.label}="${v}"} is never exported`);
          }
        }
      }
    }
    return problems;
  }

  it("the checker itself refuses a renamed metric, a dropped label and a value never exported", () => {
    expect(unknownIn('max(zlh_servers{status="failed"})')).toEqual([]);
    expect(unknownIn("max(zlh_server_count)")).toEqual(["zlh_server_count is not exported"]);
    expect(unknownIn('max by (host) (zlh_host_memory_used_bytes{hostname="a"})')).toEqual(["zlh_host_memory_used_bytes has no label hostname"]);
    expect(unknownIn('zlh_servers{status=~"failed|broken"}')).toEqual(['zlh_servers{status="broken"} is never exported']);
    expect(unknownIn("histogram_quantile(0.99, sum by (le, route) (rate(zlh_http_request_duration_seconds_bucket[5m])))")).toEqual([]);
  });

  it("the dashboard's panels and variables (host, status) query exported metrics", async () => {
    const dashboard = JSON.parse(await readFile(join(GRAFANA, "zerolaghub-control-plane.json"), "utf8"));
    const variables = dashboard.templating.list as { name: string; type: string; query: string | { query: string } }[];
    expect(variables.map((v) => v.name)).toEqual(expect.arrayContaining(["datasource", "host", "status"]));
    const panels = (dashboard.panels as { type: string; title: string; datasource?: { uid: string }; targets?: { expr: string }[] }[]).filter((p) => p.type !== "row");
    expect(panels.length).toBeGreaterThan(30);
    const problems: string[] = [];
    const uses = new Set<string>();
    for (const p of panels) {
      expect(p.datasource?.uid, p.title).toBe(`$\{datasource}`);
      for (const t of p.targets ?? []) {
        for (const s of selectors(t.expr)) uses.add(s.metric);
        problems.push(...unknownIn(t.expr).map((e) => `${p.title}: ${e}`));
      }
    }
    for (const v of variables.filter((x) => x.type === "query")) {
      const q = typeof v.query === "string" ? v.query : v.query.query;
      const m = /^label_values\((\w+),\s*(\w+)\)$/.exec(q);
      expect(m, q).not.toBeNull();
      const series = exported.series.get(m![1]!) ?? [];
      if (!series.some((s) => m![2]! in s) && !TARGET_LABELS.has(m![2]!)) problems.push(`variable ${v.name}: ${m![1]} has no label ${m![2]}`);
    }
    expect(problems).toEqual([]);
    // The dashboard shows the agent's own figures and the per-host capacity, filtered by the variables.
    for (const name of ["zlh_servers", "zlh_host_memory_used_bytes", "zlh_agent_connected", "zlh_agent_server_memory_bytes", "zlh_agent_operations_finished_total"]) expect(uses.has(name), name).toBe(true);
    const text = JSON.stringify(dashboard);
    expect(text).toContain('status=~\\"$status\\"');
    expect(text).toContain('host=~\\"$host\\"');
  });

  it("the alert rules are Grafana's provisioning format, on the provisioned datasource, and query exported metrics", async () => {
    const rules = parse(await readFile(join(GRAFANA, "provisioning/alerting/zerolaghub-alerts.yaml"), "utf8"));
    const datasources = parse(await readFile(join(GRAFANA, "provisioning/datasources/zerolaghub-prometheus.yaml"), "utf8"));
    const uid = datasources.datasources[0].uid;
    expect(rules.apiVersion).toBe(1);
    const all = rules.groups.flatMap((g: { rules: unknown[]; interval: string; folder: string }) => {
      expect(g.folder).toBeTruthy();
      expect(g.interval).toMatch(/^\d+[smh]$/);
      return g.rules;
    }) as { uid: string; title: string; condition: string; for: string; data: { refId: string; datasourceUid: string; model: { expr?: string; expression?: string; type?: string } }[]; annotations: { summary: string } }[];
    expect(all.length).toBeGreaterThanOrEqual(10);
    expect(new Set(all.map((r) => r.uid)).size).toBe(all.length);
    const problems: string[] = [];
    for (const r of all) {
      expect(r.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
      expect(r.annotations.summary).toBeTruthy();
      const refs = new Map(r.data.map((d) => [d.refId, d]));
      expect(refs.get(r.condition), r.title).toBeDefined();
      for (const d of r.data) {
        if (d.datasourceUid === "__expr__") expect(refs.has(d.model.expression!), r.title).toBe(true);
        else {
          expect(d.datasourceUid).toBe(uid);
          problems.push(...unknownIn(d.model.expr!).map((e) => `${r.title}: ${e}`));
        }
      }
    }
    expect(problems).toEqual([]);
    const metrics = new Set(all.flatMap((r) => r.data.flatMap((d) => (d.model.expr ? selectors(d.model.expr).map((s) => s.metric) : []))));
    expect([...metrics].some((m) => m.startsWith("zlh_agent_"))).toBe(true);
  });
});
