import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, serverStatus, type Api } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { tempDir, waitFor } from "../support/processes";

/** Nothing waits forever on the agent's side of a lease. */
describe("results and sessions between one host and the control plane", () => {
  let c: E2eCluster;
  let call: Api;

  beforeAll(async () => {
    // Heartbeats every 5 s; a lease outlives a failed apply by 15 s.
    c = await startE2eCluster("delivery-host", { ZLH_LEASE_TTL_MS: "15000", ZLH_RECONCILE_INTERVAL_MS: "60000" });
    call = c.call;
  });
  afterAll(() => c?.close());

  it("resends a result whose apply failed, without a reconnect, and stops renewing the finished lease", async () => {
    // The next result the control plane applies fails once, as a killed backend or a statement timeout would.
    // (A sequence, because the failing statement's own writes roll back with it.)
    await c.sql.unsafe(`
      create sequence fail_once_seq;
      create function fail_once() returns trigger language plpgsql as $$
      begin
        if new.status = 'succeeded' and old.status = 'leased' and nextval('fail_once_seq') = 1 then
          raise exception 'injected: the result could not be applied';
        end if;
        return new;
      end $$;
      create trigger fail_once before update on operations for each row execute function fail_once();`);
    const agent = c.startAgent();
    const server = await createServer(call);
    await waitFor(async () => (await c.sql`select is_called from fail_once_seq`)[0].is_called === true, 20_000, "the injected failure");
    await waitFor(async () => (await serverStatus(call, server.id)) === "running", 20_000, "running after a resend");
    expect(agent.output.filter((l) => l.includes('"session started"'))).toHaveLength(1); // no reconnect was needed
    const [{ expired }] = await c.sql`select count(*)::int as expired from events where server_id = ${server.id} and type = 'op.lease_expired'`;
    expect(expired).toBe(0);
    agent.signal("SIGTERM");
    await agent.exited;
  });

  it("a second agent started with the same token backs off instead of fighting for the session", async () => {
    const a = c.startAgent();
    await waitFor(async () => a.output.some((l) => l.includes('"session started"')), 10_000, "first agent's session");
    const b = c.startAgent({ stateDir: await tempDir("state") });
    const superseded = () => c.cp.output.filter((l) => l.includes('"agent session superseded"')).length;
    // One takeover (whenever the second agent gets there on a loaded machine), and the superseded agent says why.
    await waitFor(async () => superseded() >= 1 && [...a.output, ...b.output].some((l) => l.includes("another agent is serving this host")), 30_000, "the takeover, explained");
    // Then it waits (at least 15 s: half of its 30 s backoff) instead of taking the session back.
    await new Promise((r) => setTimeout(r, 3000));
    expect(superseded()).toBe(1);
  });
});
