import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inventoryDigest } from "@zlh/protocol";
import { EVIDENCE_BOUNDS } from "@zlh/domain";
import { leaseNewServer, startProtocolPlane, type ProtocolPlane } from "../support/protocolPlane";
import { RawAgent } from "../support/rawAgent";

/**
 * Crash evidence as an old or subverted agent may send it: within the
 * schema's lines and characters, but with a lone surrogate and NULs (both
 * refused by jsonb) and, as JSON, over 200 KB. The control plane fits it at
 * the door (docs/crash-reports.md), so the host's beats and results are
 * stored, never refused as a whole.
 */
/** `n` lines: a lone surrogate in the first and last (a log keeps its tail, a crash report its head), NULs between. */
const filled = (n: number, chars: number) => Array.from({ length: n }, (_, i) => (i === 0 || i === n - 1 ? "bad \ud800 pair" : "\u0000".repeat(chars)));
const B = EVIDENCE_BOUNDS;
const hostileCrash = {
  log: filled(B.log.maxLines, B.log.maxLineChars),
  stderr: filled(B.stderr.maxLines, B.stderr.maxLineChars),
  crashReport: { name: "crash-\u0000\udc00.txt", lines: filled(B.crashReport.maxLines, B.crashReport.maxLineChars) },
  exit: { result: "exit\u0000", code: "exited", status: "1" },
};
/** What no stored string may hold, as JSON.stringify writes it: NUL, a lone surrogate. */
const UNSTORABLE = /\\u0000|\\ud[89a-f]/i;

function expectFitted(crash: unknown) {
  const text = JSON.stringify(crash);
  expect(JSON.stringify(hostileCrash).length).toBeGreaterThan(200_000);
  expect(Buffer.byteLength(text)).toBeLessThan(44 * 1024);
  expect(text).not.toMatch(UNSTORABLE);
  expect(crash).toMatchObject({ truncated: true, log: expect.arrayContaining(["bad \ufffd pair"]), exit: { result: "exit\ufffd" } });
}

describe("hostile crash evidence at the control plane's door", () => {
  let p: ProtocolPlane;
  beforeAll(async () => {
    p = await startProtocolPlane("hostile-evidence");
  });
  afterAll(() => p?.close());

  it("a hello and a heartbeat carrying it are accepted and store it fitted; the host stays connected", async () => {
    const a = await RawAgent.connect(p.plane.url, p.host.agentToken);
    const inventory = [{ vmid: 5801, state: "stopped" as const, serverId: null, crash: hostileCrash }];
    a.send({ type: "hello", agentVersion: "old", held: [], inventory });
    const welcome = await a.next("welcome");
    const [greeted] = await p.sql`select inventory, inventory_digest from hosts where id = ${p.host.id}`;
    expectFitted(greeted!.inventory[0].crash);
    // The digest is the agent's own, of what it sent: its confirming beats still match.
    expect(greeted!.inventory_digest).toBe(inventoryDigest(inventory));

    a.send({ type: "heartbeat", held: [], inventory: [{ ...inventory[0]!, vmid: 5802 }] });
    expect(await a.next("heartbeat.ack")).not.toHaveProperty("inventoryWanted");
    const [beat] = await p.sql`select inventory, session_id from hosts where id = ${p.host.id}`;
    expect(beat!.inventory[0].vmid).toBe(5802);
    expectFitted(beat!.inventory[0].crash);
    expect(beat!.session_id).toBe(welcome.sessionId);
    expect(a.received.filter((m) => m.type === "error")).toEqual([]);
    a.close();
  });

  it("a failed result carrying it (and NUL in its message) is applied and stored fitted", async () => {
    const a = await RawAgent.connect(p.plane.url, p.host.agentToken);
    await a.greet();
    const { op } = await leaseNewServer(p, a);
    const ack = await a.report(op.opId, op.token, "failed", {
      error: { code: "game_exited", message: "the game ended \u0000 before it answered \ud800" },
      data: { crash: hostileCrash, note: "k\u0000", "key\ud800": ["\u0000"] },
    });
    expect(ack.outcome).toBe("applied");
    const [row] = await p.sql`select status, result, error from operations where id = ${op.opId}`;
    expect(row!.status).toBe("failed");
    expect(row!.error).toBe("game_exited: the game ended \ufffd before it answered \ufffd");
    expectFitted(row!.result.crash);
    expect(row!.result).toMatchObject({ note: "k\ufffd", "key\ufffd": ["\ufffd"] });
    a.send({ type: "heartbeat", held: [], inventory: [] });
    expect(await a.next("heartbeat.ack")).toMatchObject({ lost: [] });
    a.close();
  });
});
