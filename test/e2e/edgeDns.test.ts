import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bind, startBind } from "../../apps/control-plane/test/edge/bind";
import { createServer, type Api } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { waitStatus } from "../support/lifecycle";
import { waitFor } from "../support/processes";

interface Condition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
  since: string;
}

/**
 * The edge end to end against a real BIND 9: the control plane publishes a running server's records by
 * RFC 2136 with TSIG, verifies them, repairs what is deleted behind its back, reports (and leaves) a name
 * it does not own, removes everything on delete, and never lets a DNS outage hold a status or a delete.
 */
describe("the edge through a real BIND 9", () => {
  let bind: Bind;
  let c: E2eCluster;
  let call: Api;
  /** One run of the audit, now: its job is made due, and it has run when it has rescheduled itself an hour on. */
  const auditOnce = async () => {
    await c.sql`select graphile_worker.add_job('edge.audit', '{}'::json, job_key := 'edge-audit', run_at := now(), max_attempts := 3)`;
    await waitFor(async () => (await c.sql`select 1 from graphile_worker.jobs where key = 'edge-audit' and locked_at is null and run_at > now() + interval '30 minutes'`).length > 0, 30_000, "one audit run");
  };
  const reachable = async (id: string): Promise<Condition> => ((await call("GET", `/v1/servers/${id}`)).body.conditions as Condition[]).find((x) => x.type === "reachable")!;

  beforeAll(async () => {
    bind = await startBind();
    const providers = [{ name: "internal-dns", kind: "rfc2136", server: `127.0.0.1:${bind.port}`, keyName: bind.keyName, keySecret: bind.secret, timeoutMs: 1000 }];
    c = await startE2eCluster("edge-dns-host", {
      ZLH_EDGE_ZONE: bind.zone,
      ZLH_EDGE_PROVIDERS: JSON.stringify(providers),
      ZLH_EDGE_PASS_INTERVAL_MS: "300",
      // An audit runs at start and then only when the test asks for one: "within one audit run" is what it proves.
      ZLH_EDGE_AUDIT_INTERVAL_MS: "3600000",
      ZLH_EDGE_DELETE_GRACE_SECONDS: "3",
    });
    call = c.call;
    const network = { bridge: "vmbr1", subnet: "10.61.0.0/24", gateway: "10.61.0.1", range: { first: "10.61.0.10", last: "10.61.0.20" } };
    expect((await call("PATCH", `/v1/hosts/${c.host.id}/network`, network)).status).toBe(200);
    c.startAgent();
  }, 60_000);
  afterAll(async () => {
    await c?.close();
    await bind?.stop();
  });

  it("publishes, verifies, repairs, reports drift, removes on delete; with BIND down a server still runs and deletes", async () => {
    const s = await createServer(call);
    await waitStatus(call, s.id, "running");
    const fqdn = `mc-fabric-${s.vmid}.${bind.zone}`;
    await waitFor(async () => (await reachable(s.id)).status, 30_000, "reachable");
    const got = (await call("GET", `/v1/servers/${s.id}`)).body;
    expect(got.conditions.find((x: Condition) => x.type === "running")).toMatchObject({ status: true, reason: "running" });
    expect(await reachable(s.id)).toMatchObject({ status: true, reason: "verified" });
    expect(await bind.dig(`_minecraft._tcp.${fqdn}`, "SRV")).toEqual([`0 5 ${s.ports.game} ${fqdn}.`]);
    expect(await bind.dig(fqdn, "A")).toEqual(["10.61.0.10"]);

    // Deleted by hand with nsupdate: the incremental passes (every 300 ms here) follow the database and leave it
    // missing; it is back when the first audit run after the deletion ends (docs/design/edge.md, "Which pass
    // repairs what").
    await bind.nsupdate([`update delete _minecraft._tcp.${fqdn}. SRV`]);
    await new Promise((r) => setTimeout(r, 1200));
    expect(await bind.dig(`_minecraft._tcp.${fqdn}`, "SRV")).toEqual([]);
    await auditOnce();
    expect(await bind.dig(`_minecraft._tcp.${fqdn}`, "SRV")).toEqual([`0 5 ${s.ports.game} ${fqdn}.`]);

    // A name in the naming scheme nobody marked: drift, reported by that audit run and left alone.
    await bind.nsupdate(["update add mc-fabric-9999.play.test. 60 A 192.0.2.99"]);
    await auditOnce();
    expect((await call("GET", "/v1/drift")).body.items.some((d: { kind: string; detail: { fqdn: string } }) => d.kind === "edge_unowned" && d.detail.fqdn === "mc-fabric-9999.play.test")).toBe(true);
    expect(await bind.dig("mc-fabric-9999.play.test", "A")).toEqual(["192.0.2.99"]);

    // The delete removes every record (and its marker) before the server is deleted.
    await call("DELETE", `/v1/servers/${s.id}`);
    await waitStatus(call, s.id, "deleted", 30_000);
    for (const [name, type] of [[fqdn, "A"], [fqdn, "TXT"], [`_minecraft._tcp.${fqdn}`, "SRV"]] as const) expect(await bind.dig(name, type)).toEqual([]);
    const types = (await call("GET", `/v1/servers/${s.id}/events`)).body.items.map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(["edge.published", "server.condition_changed", "edge.unpublished", "server.edge_removed"]));

    // BIND down: the server still becomes running, reachable=false says why, and the delete completes after its grace.
    await bind.stop();
    const t = await createServer(call);
    await waitStatus(call, t.id, "running");
    await waitFor(async () => (await reachable(t.id)).reason === "unreachable", 30_000, "unreachable reason");
    expect(await reachable(t.id)).toMatchObject({ status: false, message: expect.stringContaining(`127.0.0.1:${bind.port}`) });
    await call("DELETE", `/v1/servers/${t.id}`);
    await waitStatus(call, t.id, "deleted", 30_000);
    expect((await call("GET", `/v1/servers/${t.id}/events`)).body.items.map((e: { type: string }) => e.type)).toContain("server.edge_removal_overdue");
    // Its removal is still owed and retried (not forgotten).
    const [row] = await c.sql`select desired_hash, next_attempt_at, last_error_code from edge_publications where server_id = ${t.id}`;
    expect(row).toMatchObject({ desired_hash: null, last_error_code: "unreachable" });
    expect(row!.next_attempt_at).not.toBeNull();
    // No secret in anything the control plane wrote.
    expect(c.cp.output.join("\n")).not.toContain(bind.secret);
  }, 150_000);
});
