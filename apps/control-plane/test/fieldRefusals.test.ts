import { describe, expect, it } from "vitest";
import { enrollHost, serverBody, startTestPlane } from "./harness";

/**
 * A field a handler refuses past its schema is refused as the schema refuses one: 400 invalid_request, the
 * field by its full name (`body.…`, `query.…`) in the sentence and in `problems`, so a panel reads one shape.
 */
describe("fields refused past their schema", () => {
  const nobody = "00000000-0000-4000-8000-000000000000";
  const refusal = (field: string, message: string, error = "invalid_request") => ({ error, message: `${field} ${message}.`, problems: [{ field, message }] });

  it("an over-long console line, a stats window out of range, after with from=now, a managed server property", async () => {
    const t = await startTestPlane({}, { runWorker: false });
    await enrollHost(t.api, "refusals-host");

    // Checked before the server is looked up: the line itself is at fault, on any id.
    const line = await t.api("POST", `/v1/servers/${nobody}/commands`, { command: "€".repeat(483) });
    expect({ status: line.status, body: line.body }).toEqual({ status: 400, body: refusal("body.command", "is 1449 bytes in UTF-8; vanilla's RCON accepts at most 1446") });

    // A line break by any name (C1's NEL, Unicode's line and paragraph separators) is a control character here.
    for (const breaker of ["\u0085", "\u2028", "\u2029", "\u009b"]) {
      const broken = await t.api("POST", `/v1/servers/${nobody}/commands`, { command: `say a${breaker}[Server] forged` });
      expect({ status: broken.status, body: broken.body }).toEqual({ status: 400, body: refusal("body.command", "must not contain control characters (line breaks, tabs, NUL)") });
    }
    expect((await t.api("POST", `/v1/servers/${nobody}/commands`, { command: "say é ü 😀" })).body.error).toBe("server_not_found");

    const window = await t.api("GET", `/v1/servers/${nobody}/stats?window=30`);
    expect({ status: window.status, body: window.body }).toEqual({ status: 400, body: refusal("query.window", "must be at least 60") });
    expect((await t.api("GET", `/v1/servers/${nobody}/stats?window=1801`)).body.problems).toEqual([{ field: "query.window", message: "must be at most 1800" }]);

    const cursor = (await t.api("GET", "/v1/events?from=now")).body.nextCursor;
    const both = await t.api("GET", `/v1/events?from=now&after=${cursor}`);
    expect({ status: both.status, body: both.body }).toEqual({ status: 400, body: refusal("query.after", "cannot be given with from=now (give one or the other)") });

    const before = await t.sql`select (select count(*) from servers) as s, (select count(*) from events) as e`;
    const managed = await t.api("POST", "/v1/servers", serverBody(1, { serverProperties: { "rcon.password": "x" } }), { "idempotency-key": "managed-1" });
    expect({ status: managed.status, body: managed.body }).toEqual({
      status: 400,
      body: refusal('body.serverProperties["rcon.password"]', "is managed by the platform and cannot be set", "managed_property"),
    });
    const port = await t.api("POST", "/v1/servers", serverBody(2, { serverProperties: { "server-port": 25565, motd: 5 } }), { "idempotency-key": "managed-2" });
    expect(port.body.message).toBe("body.serverProperties.server-port is managed by the platform and cannot be set.");
    expect(port.body.problems).toContainEqual({ field: "body.serverProperties.server-port", message: "is managed by the platform and cannot be set" });
    expect(port.body.problems).toContainEqual(expect.objectContaining({ field: "body.serverProperties.motd" }));
    expect(await t.sql`select (select count(*) from servers) as s, (select count(*) from events) as e`).toEqual(before);
  });
});
