import { describe, expect, it } from "vitest";
import type { InventoryItem } from "@zlh/protocol";
import { FULL_INVENTORY_EVERY_MS, InventoryReport } from "../src/session/inventoryReport";
import { WorkRequests } from "../src/session/workRequests";

const inv = (state: "running" | "stopped"): InventoryItem[] => [{ vmid: 100, state, serverId: null }];

describe("InventoryReport", () => {
  it("sends the digest while nothing changed, the full inventory when it changed, when asked, and every few minutes", () => {
    const r = new InventoryReport();
    const t0 = 1_000_000;
    expect(r.next(inv("running"), t0)).toEqual({ inventory: inv("running") }); // nothing sent yet
    expect(r.next(inv("running"), t0 + 1)).toHaveProperty("inventoryDigest");
    expect(r.next(inv("stopped"), t0 + 2)).toEqual({ inventory: inv("stopped") });
    expect(r.next(inv("stopped"), t0 + 3)).toHaveProperty("inventoryDigest");
    r.want();
    expect(r.next(inv("stopped"), t0 + 4)).toEqual({ inventory: inv("stopped") });
    expect(r.next(inv("stopped"), t0 + 5)).toHaveProperty("inventoryDigest");
    expect(r.next(inv("stopped"), t0 + 4 + FULL_INVENTORY_EVERY_MS)).toEqual({ inventory: inv("stopped") });
  });

  it("counts the hello's inventory as sent", () => {
    const r = new InventoryReport();
    r.sentInFull(inv("running"), 5);
    expect(r.next(inv("running"), 6)).toHaveProperty("inventoryDigest");
  });
});

describe("WorkRequests", () => {
  const setup = (concurrency: number, busy: number) => {
    const sent: number[] = [];
    const w = new WorkRequests({ concurrency, busy: () => busy, send: (max) => (sent.push(max), true) });
    return { w, sent };
  };

  it("asks only within a session, for the free slots, one request in flight at a time", () => {
    const { w, sent } = setup(4, 1);
    w.request();
    expect(sent).toEqual([]); // no session yet
    w.start({ ttlMs: 60_000 });
    expect(sent).toEqual([3]);
    w.request();
    expect(sent).toEqual([3]); // the first is not answered yet
    w.answered();
    w.request();
    expect(sent).toEqual([3, 3]);
    w.stop();
    w.answered();
    w.request();
    expect(sent).toEqual([3, 3]);
  });

  it("asks for nothing with every slot busy, nor once draining", () => {
    const full = setup(2, 2);
    full.w.start({ ttlMs: 60_000 });
    expect(full.sent).toEqual([]);
    full.w.stop();
    const draining = setup(2, 0);
    draining.w.drain();
    draining.w.start({ ttlMs: 60_000 });
    expect(draining.sent).toEqual([]);
    draining.w.stop();
  });
});
