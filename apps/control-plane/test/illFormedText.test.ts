import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, enrollHost, serverBody, startTestPlane } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

/**
 * JSON may escape half of a surrogate pair alone (`"\ud800"`): parsed, it is
 * a string no Postgres column holds as sent. It once answered 500 (jsonb
 * refuses it) or was stored as U+FFFD, another value: two customer ids
 * differing only by it were one customer. Refused at the door, naming where.
 */
describe("a request with a string that is not well-formed Unicode", () => {
  let t: Plane;
  let serverId: string;
  beforeAll(async () => {
    t = await startTestPlane({}, { runWorker: false });
    await enrollHost(t.api, "host-1", { memoryMiB: 8192, cpuCores: 8, diskGiB: 100 });
    const created = await t.api("POST", "/v1/servers", serverBody(1), { "idempotency-key": "wellformed-1" });
    expect(created.status).toBe(202);
    serverId = created.body.id;
  });

  /** Raw JSON text, so the escape reaches the server as written. */
  const raw = async (method: string, path: string, json: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${t.plane.url}${path}`, { method, body: json, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json", ...headers } });
    return { status: res.status, body: (await res.json()) as { error?: string; message?: string } };
  };
  const counts = async () => (await t.sql`select (select count(*)::int from servers) as servers, (select count(*)::int from operations) as ops, (select count(*)::int from events) as events`)[0];

  it("refuses it in a body's value or key with 400 invalid_request naming where, and writes nothing", async () => {
    const before = await counts();
    const cases: [string, string, string, string][] = [
      ["POST", `/v1/servers/${serverId}/commands`, String.raw`{"command":"say a\ud800b"}`, "body/command"],
      ["POST", "/v1/servers", JSON.stringify(serverBody(2, { serverProperties: { motd: "hi" } })).replace('"hi"', String.raw`"hi\ud800"`), "body/serverProperties/motd"],
      ["POST", "/v1/servers", JSON.stringify(serverBody(3)).replace('"cust-3"', String.raw`"cust-\udc00"`), "body/customerId"],
      ["POST", "/v1/servers", JSON.stringify(serverBody(4)).replace('"srv-4"', String.raw`"srv\ud83d-4"`), "body/name"],
      ["POST", "/v1/servers", JSON.stringify(serverBody(5, { serverProperties: { motd: "hi" } })).replace('"motd"', String.raw`"mo\ud800td"`), String.raw`body/serverProperties (the key "mo\ud800td")`], // the message escapes it: the answer is well-formed
      ["POST", `/v1/servers/${serverId}/schedules`, String.raw`{"name":"s","cron":"0 * * * *","action":"command","command":"say \udfff"}`, "body/command"],
    ];
    for (const [i, [method, path, json, at]] of cases.entries()) {
      const res = await raw(method, path, json, { "idempotency-key": `wellformed-case-${i}` });
      expect({ at, status: res.status, body: res.body }).toEqual({
        at,
        status: 400,
        body: { error: "invalid_request", message: `${at} is not well-formed Unicode: it holds half of a surrogate pair (such as \\ud800) alone.` },
      });
    }
    expect(await counts()).toEqual(before);
  });

  it("still takes a well-formed pair (an emoji) where text goes", async () => {
    const res = await raw("POST", "/v1/servers", JSON.stringify(serverBody(6, { serverProperties: { motd: "hi 😀" } })), { "idempotency-key": "wellformed-emoji" });
    expect(res.status).toBe(202);
  });

  it("finds none in a query string or a header (percent-encoding decodes to well-formed text, Node reads headers as latin1), and refuses a path that is not UTF-8", async () => {
    const res = await fetch(`${t.plane.url}/v1/servers?customerId=%ED%A0%80`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ items: [], nextCursor: null });
    // A path whose percent-encoding is not UTF-8 is refused as any bad input is: { error, message }, not Fastify's shape.
    const path = await fetch(`${t.plane.url}/v1/servers/%ED%A0%80`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect({ status: path.status, body: await path.json() }).toEqual({ status: 400, body: { error: "invalid_request", message: "The path is not percent-encoded UTF-8." } });
  });
});
