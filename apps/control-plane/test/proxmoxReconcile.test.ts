import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase } from "@zlh/db";
import { markerFor } from "@zlh/protocol";
import { reconcileAllTask } from "../src/jobs/handlers/reconcile";
import { connectProxmox } from "../src/reconcile/proxmox";
import { enrollHost, serverBody, startTestPlane } from "./harness";

const PVE = "https://pve.test:8006/api2/json";
/** Proxmox answers with exactly this content type (and proxmox-api insists on it). */
const pveJson = (data: unknown) => HttpResponse.json({ data }, { headers: { "content-type": "application/json;charset=UTF-8" } });
const UNKNOWN = "eeeeeeee-0000-4000-8000-000000000005";

/** A reconciliation job over the test database, reading Proxmox (msw) with the given API token id. */
function reconcileWith(db: ReturnType<typeof connectDatabase>, tokenId: string) {
  const task = reconcileAllTask({
    db: db.db,
    log: pino({ level: "silent" }),
    leaseTtlMs: 60_000,
    intervalMs: 60_000,
    schedule: { recheckMs: 300_000, clockMarginMs: 10_000 },
    proxmox: connectProxmox({ url: "https://pve.test:8006", tokenId, tokenSecret: "0b0e7d7e-6c0a-4e58-9d7e-6a4f1d2e3c4b" }),
  });
  return () => task({}, undefined as never);
}

describe("reconciliation against the Proxmox API (msw)", () => {
  const auth: string[] = [];
  let guests: Record<string, unknown>[] = [];
  const descriptions = new Map<number, string>();
  /** What the token may do, as `GET /access/permissions?path=/vms` answers. */
  let permissions: Record<string, Record<string, number>> = { "/vms": { "VM.Audit": 1, "VM.PowerMgmt": 1 } };
  const brokenConfigs = new Set<number>();
  const mock = setupServer(
    http.get(`${PVE}/access/permissions`, () => pveJson(permissions)),
    http.get(`${PVE}/nodes`, () => pveJson([{ node: "pve1", status: "online", type: "node", id: "node/pve1" }, { node: "pve-other", status: "online", type: "node", id: "node/pve-other" }])),
    http.get(`${PVE}/cluster/resources`, ({ request }) => {
      auth.push(request.headers.get("authorization") ?? "");
      expect(new URL(request.url).searchParams.get("type")).toBe("vm");
      return pveJson(guests);
    }),
    http.get(`${PVE}/nodes/:node/lxc/:vmid/config`, ({ params }) =>
      brokenConfigs.has(Number(params.vmid))
        ? HttpResponse.json({ data: null, message: `Configuration file 'nodes/pve1/lxc/${params.vmid}.conf' does not exist\n` }, { status: 500, headers: { "content-type": "application/json;charset=UTF-8" } })
        : pveJson({ arch: "amd64", cores: 1, hostname: `ct${params.vmid}`, memory: 1024, description: descriptions.get(Number(params.vmid)) ?? "", digest: "abc" }),
    ),
  );
  beforeAll(() => mock.listen({ onUnhandledRequest: "bypass" }));
  afterAll(() => mock.close());

  it("merges Proxmox's guests with the agent's inventory and reports every drift kind", async () => {
    const t = await startTestPlane({}, { runWorker: false });
    const host = await enrollHost(t.api, "pve1");
    const create = async (i: number) => (await t.api("POST", "/v1/servers", serverBody(i), { "idempotency-key": `px-${i}` })).body;
    const [present, missing, stopped, agentOnly] = [await create(1), await create(2), await create(3), await create(4)];
    // Fixture: these servers were provisioned earlier (the state machine is not under test here).
    await t.sql`update servers set status = 'running' where id = any(${[present.id, missing.id, stopped.id, agentOnly.id]})`;

    guests = [
      { id: `lxc/${present.vmid}`, type: "lxc", node: "pve1", vmid: present.vmid, status: "running", name: "a", maxmem: 1 },
      { id: `lxc/${stopped.vmid}`, type: "lxc", node: "pve1", vmid: stopped.vmid, status: "stopped", name: "c", maxmem: 1 },
      { id: "qemu/5900", type: "qemu", node: "pve1", vmid: 5900, status: "running", name: "windows-vm", maxmem: 1 },
      { id: "lxc/5901", type: "lxc", node: "pve1", vmid: 5901, status: "stopped", name: "by-hand", maxmem: 1 },
      { id: "lxc/5902", type: "lxc", node: "pve1", vmid: 5902, status: "running", name: "lost", maxmem: 1 },
      { id: "lxc/5999", type: "lxc", node: "pve-other", vmid: 5999, status: "running", name: "elsewhere", maxmem: 1 },
      { id: "storage/local", type: "storage", node: "pve1", status: "available" },
    ];
    descriptions.set(present.vmid, `${markerFor(present.id)}\n`);
    descriptions.set(stopped.vmid, markerFor(stopped.id));
    descriptions.set(5902, markerFor(UNKNOWN));
    // The agent is connected and reports one container Proxmox's listing (taken a moment earlier) lacks.
    await t.sql`update hosts set session_id = gen_random_uuid(), last_heartbeat_at = now(),
      inventory = ${t.sql.json([{ vmid: agentOnly.vmid, state: "running", serverId: agentOnly.id }])}, inventory_at = now() where id = ${host.id}`;

    const db = connectDatabase(t.databaseUrl, { max: 2 });
    const run = reconcileWith(db, "root@pam!zlh");
    await run();
    const items = (await t.api("GET", "/v1/drift")).body.items as { kind: string; vmid: number; serverId?: string; detail: Record<string, unknown> }[];
    expect(items.map((d) => `${d.kind}@${d.vmid}`).sort()).toEqual(
      [`missing_container@${missing.vmid}`, `state_mismatch@${stopped.vmid}`, "unmanaged_container@5900", "unmanaged_container@5901", "orphan_container@5902"].sort(),
    );
    expect(items.find((d) => d.vmid === 5902)?.detail).toMatchObject({ serverStatus: "unknown", source: "proxmox" });
    expect(auth[0]).toBe("PVEAPIToken=root@pam!zlh=0b0e7d7e-6c0a-4e58-9d7e-6a4f1d2e3c4b");

    // Unmanaged guests' VMIDs are kept out of allocation.
    const excluded = await t.sql`select vmid from vmid_pool where state = 'excluded' order by vmid`;
    expect(excluded.map((r) => r.vmid)).toEqual([5900, 5901]);

    // A second pass sees the same: policies act on persistent drift.
    await run();
    const [m] = await t.sql`select status, failure_reason from servers where id = ${missing.id}`;
    expect(m).toEqual({ status: "failed", failure_reason: "container_missing" });
    const [s] = await t.sql`select status from servers where id = ${stopped.id}`;
    expect(s.status).toBe("stopped");
    const [op] = await t.sql`select kind, status from operations where server_id = ${stopped.id}`;
    expect(op).toEqual({ kind: "start", status: "queued" });
    // An unknown server's container is reported, never destroyed.
    const [{ n }] = await t.sql`select count(*)::int as n from operations where vmid = 5902`;
    expect(n).toBe(0);
    await db.close();
  });

  it("never acts on what Proxmox does not say: unknown status, a token that cannot see every guest, an unknown node, an unreadable guest", async () => {
    const t = await startTestPlane({}, { runWorker: false });
    await enrollHost(t.api, "pve1");
    const create = async (i: number) => (await t.api("POST", "/v1/servers", serverBody(i), { "idempotency-key": `pxu-${i}` })).body;
    const [unknownNode, unreadable, healthy] = [await create(1), await create(2), await create(3)];
    // A host enrolled with a node name Proxmox does not know (pve01 for pve1): its empty listing is no evidence.
    const typo = await enrollHost(t.api, "pve01");
    const onTypoHost = await create(4);
    expect(onTypoHost.hostId).toBe(typo.id);
    const servers = [unknownNode, unreadable, healthy, onTypoHost];
    await t.sql`update servers set status = 'running' where id = any(${servers.map((x) => x.id)})`;
    guests = [
      // Its node stopped reporting: Proxmox says "unknown", which is not "stopped".
      { id: `lxc/${unknownNode.vmid}`, type: "lxc", node: "pve1", vmid: unknownNode.vmid, status: "unknown", name: "a" },
      { id: `lxc/${unreadable.vmid}`, type: "lxc", node: "pve1", vmid: unreadable.vmid, status: "stopped", name: "b" },
      { id: `lxc/${healthy.vmid}`, type: "lxc", node: "pve1", vmid: healthy.vmid, status: "running", name: "c" },
      // A marker that looks like ours but is no UUID must not break the pass.
      { id: "lxc/5950", type: "lxc", node: "pve1", vmid: 5950, status: "running", name: "odd" },
    ];
    for (const x of [unknownNode, healthy]) descriptions.set(x.vmid, markerFor(x.id));
    descriptions.set(5950, "zlh-server=zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz");
    brokenConfigs.add(unreadable.vmid);

    const db = connectDatabase(t.databaseUrl, { max: 2 });
    const run = reconcileWith(db, "zlh@pve!audit");
    for (let pass = 0; pass < 3; pass++) await run();
    const items = (await t.api("GET", "/v1/drift")).body.items as { kind: string; vmid: number }[];
    expect(items.map((d) => `${d.kind}@${d.vmid}`)).toEqual(["unmanaged_container@5950"]);
    const statuses = await t.sql`select status from servers where id = any(${servers.map((x) => x.id)})`;
    expect(statuses.map((r) => r.status)).toEqual(["running", "running", "running", "running"]);

    // A token without VM.Audit sees an empty list: that is not "every container is missing".
    await t.sql`delete from drift_items`;
    permissions = { "/vms": { "VM.PowerMgmt": 1 } };
    guests = [];
    const blind = reconcileWith(db, "zlh@pve!blind");
    for (let pass = 0; pass < 3; pass++) await blind();
    expect((await t.api("GET", "/v1/drift")).body.items).toEqual([]);
    expect((await t.sql`select count(*)::int as n from servers where status = 'failed'`)[0].n).toBe(0);
    permissions = { "/vms": { "VM.Audit": 1, "VM.PowerMgmt": 1 } };
    brokenConfigs.clear();
    await db.close();
  });
});
