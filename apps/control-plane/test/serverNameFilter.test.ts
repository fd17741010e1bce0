import { beforeAll, describe, expect, it } from "vitest";
import { enrollHost, serverBody, startTestPlane } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

/** GET /v1/servers?name=: a panel finds its server by the name it gave it, exactly. */
describe("GET /v1/servers?name=", () => {
  let t: Plane;
  beforeAll(async () => {
    t = await startTestPlane({}, { runWorker: false });
    await enrollHost(t.api, "name-host");
  });

  it("lists only the servers of exactly that name, with the other filters, a page at a time", async () => {
    const make = async (i: number, name: string, customerId: string) =>
      (await t.api("POST", "/v1/servers", serverBody(i, { name, customerId }), { "idempotency-key": `name-${i}` })).body.id as string;
    const a = await make(1, "survival", "c1");
    const b = await make(2, "survival", "c2");
    await make(3, "survival-2", "c1");
    await make(4, "Survival", "c1");
    const ids = async (q: string) => (await t.api("GET", `/v1/servers?${q}`)).body.items.map((s: { id: string }) => s.id);
    expect(await ids("name=survival")).toEqual([a, b]);
    expect(await ids("name=survival&customerId=c2")).toEqual([b]);
    expect(await ids("name=surv")).toEqual([]);
    const first = (await t.api("GET", "/v1/servers?name=survival&limit=1")).body;
    expect(first.items.map((s: { id: string }) => s.id)).toEqual([a]);
    expect(await ids(`name=survival&limit=1&cursor=${first.nextCursor}`)).toEqual([b]);
  });

  it("refuses a name no server could have: 400 invalid_request", async () => {
    for (const q of [`name=${"n".repeat(65)}`, "name=", "name=a%0Ab"]) {
      const got = await t.api("GET", `/v1/servers?${q}`);
      expect(got.status, q).toBe(400);
      expect(got.body.error).toBe("invalid_request");
    }
  });
});
