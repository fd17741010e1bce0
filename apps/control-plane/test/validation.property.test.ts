import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { enrollHost, serverBody, startTestPlane } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

const FIELDS = ["customerId", "name", "minecraftVersion", "loaderVersion", "mods", "memoryMiB", "cpuCores", "diskGiB", "serverProperties"];

/** Hostile values: wrong types, huge or negative numbers, control characters, paths, nested junk. */
const junk = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.constantFrom("\u0000", "a\u0000b", "../../x", "1.21.1\n", "", " ", "x".repeat(10_000), "1.21.1/../..", "%00"),
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 2 ** 31, Number.MAX_SAFE_INTEGER),
  fc.array(fc.record({ project: fc.string({ unit: "binary" }), version: fc.anything() }, { requiredKeys: [] }), { maxLength: 3 }),
  fc.dictionary(fc.string({ unit: "binary", maxLength: 20 }), fc.anything({ maxDepth: 1 }), { maxKeys: 4 }),
);

/** A valid body with one to three fields replaced or removed, or an unknown field added. */
const mutatedBody = fc
  .tuple(fc.array(fc.tuple(fc.constantFrom(...FIELDS, "extra", "\u0000"), fc.option(junk)), { minLength: 1, maxLength: 3 }), fc.nat(10_000))
  .map(([edits, n]) => {
    const body: Record<string, unknown> = serverBody(n);
    for (const [field, value] of edits) {
      if (value === null) delete body[field];
      else body[field] = value;
    }
    return body;
  });

describe("create validation (property-based)", () => {
  let t: Plane;
  beforeAll(async () => {
    t = await startTestPlane({}, { runWorker: false });
    await enrollHost(t.api, "prop-host");
  });

  it("never answers 5xx, always answers { error, message }, and writes only when it accepts", async () => {
    const counts = async () =>
      (await t.sql`select (select count(*)::int from servers) as servers, (select count(*)::int from events) as events,
        (select count(*)::int from vmid_pool where state = 'taken') as vmids`)[0];
    const before = await counts();
    let accepted = 0;
    let key = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutatedBody, junk), async (body) => {
        const res = await t.api("POST", "/v1/servers", JSON.stringify(body) ?? "null", { "idempotency-key": `prop-${key++}` });
        expect(res.status).toBeLessThan(500);
        if (res.status === 202) accepted++;
        else expect(res.body).toEqual({ error: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String) });
      }),
      { numRuns: 400 },
    );
    const after = await counts();
    expect(after.servers - before.servers).toBe(accepted);
    expect(after.vmids - before.vmids).toBe(accepted);
    expect(after.events - before.events).toBe(accepted);
  });
});
