import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { enrollHost, serverBody, startTestPlane } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

/**
 * Each property is bounded by its count of runs (400 requests); the test's time limit is only there
 * to end a hang, so it is far above what the count takes on a machine loaded by the whole suite.
 */
const PROPERTY_TIMEOUT_MS = 300_000;

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
        else {
          const { problems, ...rest } = res.body;
          expect(rest).toEqual({ error: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String) });
          // A validation error names each problem's field, in plain words: never ajv's own paths.
          if (problems !== undefined) expect(problems).toEqual(expect.arrayContaining([{ field: expect.stringMatching(/^body/), message: expect.any(String) }]));
          expect(res.body.message).not.toMatch(/must match pattern|querystring\/|body\//);
        }
      }),
      { numRuns: 400 },
    );
    const after = await counts();
    expect(after.servers - before.servers).toBe(accepted);
    expect(after.vmids - before.vmids).toBe(accepted);
    expect(after.events - before.events).toBe(accepted);
  }, PROPERTY_TIMEOUT_MS);
});

const ip = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");

/** Networks near the edges: addresses around the subnet's network, broadcast and neighbours, any prefix, some junk. */
const networkBody = fc
  .tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 32 }), fc.array(fc.integer({ min: -3, max: 300 }), { minLength: 3, maxLength: 3 }), fc.option(fc.constantFrom("static", "dhcp", "bogus")), fc.option(junk))
  .map(([base, prefix, [g, f, l], mode, junkValue]) => {
    const size = 2 ** (32 - prefix);
    const network = base - (base % size);
    const at = (o: number) => ip(Math.min(2 ** 32 - 1, Math.max(0, network + o)));
    const body: Record<string, unknown> = { bridge: "vmbr1", subnet: `${ip(network)}/${prefix}`, gateway: at(g!), range: { first: at(f!), last: at(l!) } };
    if (mode !== null) body.mode = mode;
    if (junkValue !== null) body[["bridge", "subnet", "gateway", "range"][Math.abs(g!) % 4]!] = junkValue;
    return body;
  });

/**
 * Valid static networks of any prefix the API allows: the gateway the first host address, the range
 * somewhere after it. Mixed in so that "writes a host when it accepts" is exercised on every run: the
 * edge cases alone are accepted a handful of times in 400, and with some seeds never.
 */
const validNetworkBody = fc.tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 1, max: 30 }), fc.nat(), fc.nat(), fc.constantFrom(undefined, "static")).map(([base, prefix, a, b, mode]) => {
  const size = 2 ** (32 - prefix);
  const network = base - (base % size);
  // Host addresses are network+1 .. network+size-2; the gateway takes the first.
  const first = 2 + (a % (size - 3));
  const last = first + (b % (size - 1 - first));
  return { bridge: "vmbr1", subnet: `${ip(network)}/${prefix}`, gateway: ip(network + 1), range: { first: ip(network + first), last: ip(network + last) }, ...(mode ? { mode } : {}) };
});

describe("host network validation (property-based)", () => {
  let t: Plane;
  beforeAll(async () => {
    t = await startTestPlane({}, { runWorker: false });
  });

  it("never answers 5xx (what the API accepts the database's check accepts too), and writes a host only when it accepts", async () => {
    const counts = async () => (await t.sql`select (select count(*)::int from hosts) as hosts, (select count(*)::int from events) as events`)[0];
    const before = await counts();
    let accepted = 0;
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof({ arbitrary: networkBody, weight: 4 }, { arbitrary: validNetworkBody, weight: 1 }), async (network) => {
        const res = await t.api("POST", "/v1/hosts", { name: `net-${n++}`, node: "pve", capacity: { memoryMiB: 1, cpuCores: 1, diskGiB: 1 }, network });
        expect(res.status).toBeLessThan(500);
        if (res.status === 201) accepted++;
        // A body with a "__proto__" key (not value: `"bridge":"__proto__"` is an invalid bridge) is refused by the JSON parser itself (prototype poisoning), before validation.
        else if (JSON.stringify(network).includes('"__proto__":')) expect(res.body).toEqual({ error: "invalid_json", message: expect.any(String) });
        else {
          // A validation error also lists its problems (checked in apiTraps.test.ts).
          const { problems: _, ...rest } = res.body;
          expect(rest).toEqual({ error: expect.stringMatching(/^(invalid_request|invalid_network)$/), message: expect.any(String) });
        }
      }),
      { numRuns: 400 },
    );
    const after = await counts();
    expect(after.hosts - before.hosts).toBe(accepted);
    expect(after.events - before.events).toBe(accepted);
    expect(accepted).toBeGreaterThan(0);
  }, PROPERTY_TIMEOUT_MS);
});
