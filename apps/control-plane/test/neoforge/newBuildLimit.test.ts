import { beforeAll, describe, expect, it } from "vitest";
import { enrollHost, serverBody, startTestPlane } from "../harness";

const GAME = "1.21.1";

describe("the per-customer bound on NeoForge builds not installed yet (ZLH_NEOFORGE_NEW_BUILDS_PER_DAY)", () => {
  let t: Awaited<ReturnType<typeof startTestPlane>>;
  let n = 0;
  const create = (customerId: string, loaderVersion: string | undefined, type = "neoforge") =>
    t.api("POST", "/v1/servers", { ...serverBody(++n, { type, ...(loaderVersion ? { loaderVersion } : {}) }), customerId, name: `limit-${n}` }, { "idempotency-key": `limit-${n}` });
  const claims = async (customerId: string) => (await t.sql`select neoforge_version from neoforge_build_claims where customer_id = ${customerId} order by neoforge_version`).map((r) => r.neoforge_version);
  const servers = async (customerId: string) => Number((await t.sql`select count(*)::int as n from servers where customer_id = ${customerId}`)[0]!.n);

  beforeAll(async () => {
    t = await startTestPlane({ ZLH_NEOFORGE_NEW_BUILDS_PER_DAY: "2" });
    await enrollHost(t.api, "neoforge-limit-host");
    // Installed already (as a resolution would have left it): pinning it costs no run.
    await t.sql`insert into neoforge_installs (game, neoforge_version, installer_sha512, files) values (${GAME}, '21.1.50', ${"a".repeat(128)}, '[]'::jsonb)`;
  });

  it("lets a customer pin two new builds a day, then answers 429 rate_limited with Retry-After and writes nothing", async () => {
    expect((await create("lim-a", "21.1.1")).status).toBe(202);
    expect((await create("lim-a", "21.1.2")).status).toBe(202);
    const refused = await create("lim-a", "21.1.3");
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      error: "rate_limited",
      message: expect.stringMatching(/^NeoForge 21\.1\.3 for Minecraft 1\.21\.1 is not installed yet, and this customer has asked for 2 new NeoForge builds in the last 24 hours \(at most 2\); retry in \d+ s, or pick a build already installed, or leave loaderVersion out for the newest\.$/),
    });
    const after = Number(refused.headers["retry-after"]);
    expect(after).toBeGreaterThan(86_000);
    expect(after).toBeLessThanOrEqual(86_400);
    expect(await servers("lim-a")).toBe(2);
    expect(await claims("lim-a")).toEqual(["21.1.1", "21.1.2"]);
  });

  it("still takes a build the customer already asked for, one installed, the newest (no pin) and other types; another customer has its own day", async () => {
    expect((await create("lim-a", "21.1.1")).status).toBe(202);
    expect((await create("lim-a", "21.1.50")).status).toBe(202);
    expect((await create("lim-a", undefined)).status).toBe(202);
    expect((await create("lim-a", undefined, "vanilla")).status).toBe(202);
    expect(await claims("lim-a")).toEqual(["21.1.1", "21.1.2"]);
    expect((await create("lim-b", "21.1.3")).status).toBe(202);
    expect(await claims("lim-b")).toEqual(["21.1.3"]);
  });

  it("counts a change to a new build too: 429 past the bound, and the server is left as it was", async () => {
    const created = await create("lim-a", undefined, "vanilla");
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    // Resolved (by its provision job), then running as an agent would report, so it can be changed.
    for (let i = 0; i < 300 && (await t.sql`select 1 from servers where id = ${id} and manifest is not null`).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    await t.sql`update servers set status = 'running' where id = ${id}`;
    const refused = await t.api("PATCH", `/v1/servers/${id}`, { type: "neoforge", loaderVersion: "21.1.4" }, { "idempotency-key": "limit-change-1" });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toBe("rate_limited");
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    const [row] = await t.sql`select server_type, loader_version, change_status from servers where id = ${id}`;
    expect(row).toMatchObject({ server_type: "vanilla", loader_version: null });
    expect(await claims("lim-a")).toEqual(["21.1.1", "21.1.2"]);
    // One it already asked for is taken.
    const taken = await t.api("PATCH", `/v1/servers/${id}`, { type: "neoforge", loaderVersion: "21.1.2" }, { "idempotency-key": "limit-change-2" });
    expect(taken.status).toBe(202);
  });

  it("frees a slot once a claim is older than a day", async () => {
    await t.sql`update neoforge_build_claims set claimed_at = now() - interval '25 hours' where customer_id = 'lim-a' and neoforge_version = '21.1.1'`;
    expect((await create("lim-a", "21.1.5")).status).toBe(202);
    expect(await claims("lim-a")).toEqual(["21.1.1", "21.1.2", "21.1.5"]);
    expect((await create("lim-a", "21.1.6")).status).toBe(429);
  });
  it("holds under concurrent requests of one customer: five creates at once for five new builds take two", async () => {
    const answers = await Promise.all(["21.1.101", "21.1.102", "21.1.103", "21.1.104", "21.1.105"].map((v) => create("lim-c", v)));
    expect(answers.map((a) => a.status).sort()).toEqual([202, 202, 429, 429, 429]);
    expect(await claims("lim-c")).toHaveLength(2);
    expect(await servers("lim-c")).toBe(2);
  });
});

describe("ZLH_NEOFORGE_NEW_BUILDS_PER_DAY=0: only builds already installed", () => {
  let t: Awaited<ReturnType<typeof startTestPlane>>;
  beforeAll(async () => {
    t = await startTestPlane({ ZLH_NEOFORGE_NEW_BUILDS_PER_DAY: "0" });
    await enrollHost(t.api, "neoforge-none-host");
  });

  it("refuses a new build without a Retry-After (waiting never helps) and says what does", async () => {
    const refused = await t.api("POST", "/v1/servers", { ...serverBody(1, { type: "neoforge", loaderVersion: "21.1.7" }), customerId: "none-a", name: "none-1" }, { "idempotency-key": "none-1" });
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      error: "rate_limited",
      message:
        "NeoForge 21.1.7 for Minecraft 1.21.1 is not installed yet, and customers may pin only builds already installed here (ZLH_NEOFORGE_NEW_BUILDS_PER_DAY is 0); pick a build already installed, or leave loaderVersion out for the newest.",
    });
    expect(refused.headers["retry-after"]).toBeUndefined();
    expect((await t.sql`select count(*)::int as n from servers where customer_id = 'none-a'`)[0]!.n).toBe(0);
  });
});
