import { request as httpRequest, type ClientRequest } from "node:http";
import { describe, expect, it, beforeAll } from "vitest";
import { buildMrpack, packSha512 } from "@zlh/testing";
import { ADMIN_TOKEN, enrollHost, serverBody, startTestPlane } from "./harness";

const KiB = 1024;
const MiB = 1024 * KiB;
/** A pack of about `kib` KiB that does not compress (stored noise), so its size is what the quota counts. */
const noisyPack = (seed: number, kib: number) =>
  buildMrpack({ name: `Noise ${seed}`, entries: { "overrides/noise.bin": [new Uint8Array(kib * KiB).map((_, i) => ((i + seed) * 2654435761) >>> 24), { level: 0 }] } });

describe("a customer's uploads: one at a time past the bound, a quota, listed and deleted", () => {
  let t: Awaited<ReturnType<typeof startTestPlane>>;
  beforeAll(async () => {
    t = await startTestPlane({ ZLH_MODPACK_MAX_BYTES: String(MiB), ZLH_MODPACK_CUSTOMER_QUOTA_BYTES: String(MiB), ZLH_MODPACK_UPLOAD_CONCURRENCY: "1" });
    await enrollHost(t.api, "uploads-host");
  });
  const upload = (body: Uint8Array, customer = "cust-1") => t.api("POST", `/v1/modpacks?customerId=${customer}`, Buffer.from(body), { "content-type": "application/zip" });
  const count = async () => (await t.sql`select count(*)::int as n from modpack_uploads`)[0]!.n as number;

  /** An upload over a raw connection: `length` declared (or chunked when null), the body written by the caller. */
  const rawUpload = (length: number | null) => {
    const url = new URL(`${t.plane.url}/v1/modpacks?customerId=cust-2`);
    let req!: ClientRequest;
    const answer = new Promise<{ status: number; headers: Record<string, unknown>; body: { error?: string; message?: string; sha512?: string } }>((resolve, reject) => {
      req = httpRequest(url, {
        method: "POST",
        agent: false, // a connection of its own: one left with an unread body is never reused
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/zip", ...(length === null ? {} : { "content-length": String(length) }) },
      });
      req.on("response", (res) => {
        const parts: Buffer[] = [];
        res.on("data", (c: Buffer) => parts.push(c));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(Buffer.concat(parts).toString() || "{}") }));
      });
      req.on("error", reject);
    });
    req.flushHeaders();
    return { req, answer };
  };
  /**
   * A raw upload with part of its body sent, holding the one slot: small complete uploads are sent until one is
   * refused while it is still unanswered (bounded, not timed); one that lost the slot to a probe is started again.
   */
  const holdSlot = async (pack: Uint8Array) => {
    const probe = buildMrpack({ name: "probe" });
    for (let i = 0; i < 200; i++) {
      const raw = rawUpload(pack.byteLength);
      let answered = false;
      raw.answer.then(() => (answered = true)).catch(() => (answered = true));
      raw.req.write(pack.subarray(0, 1000));
      // Its own connection takes longer to open than the probes' kept-alive one: the probes start once it is open.
      await new Promise((res) => raw.req.once("socket", (sock) => (sock.connecting ? sock.once("connect", res) : res(null))));
      for (let j = 0; j < 20 && !answered; j++) {
        await new Promise((res) => setTimeout(res, 20 * (j + 1)));
        const r = await upload(probe, "cust-3");
        if (r.status === 503 && !answered) return { raw, refused: r };
      }
      raw.req.destroy();
    }
    throw new Error("the upload slot was never taken");
  };

  it("receives at most ZLH_MODPACK_UPLOAD_CONCURRENCY uploads at once: one more is 503 with Retry-After, its body never read", async () => {
    const pack = noisyPack(1, 200);
    const { raw: slow, refused } = await holdSlot(pack); // its body under way: the slot is held
    expect(refused.body).toEqual({ error: "too_many_uploads", message: expect.stringContaining("ZLH_MODPACK_UPLOAD_CONCURRENCY") });
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    // Answered with its body never sent: the refusal does not read it.
    const unread = rawUpload(500 * KiB);
    expect(await unread.answer).toMatchObject({ status: 503, body: { error: "too_many_uploads" } });
    unread.req.destroy();
    slow.req.end(pack.subarray(1000));
    expect(await slow.answer).toMatchObject({ status: 201, body: { sha512: packSha512(pack) } });
    expect((await upload(buildMrpack({ name: "after" }), "cust-3")).status).toBe(201); // the slot came back

    // A client that hangs up mid-body gives its slot back too.
    const { raw: dropped } = await holdSlot(pack);
    dropped.req.destroy();
    dropped.answer.catch(() => {});
    let after = 0;
    for (let i = 0; i < 200 && after !== 201; i++) {
      after = (await upload(buildMrpack({ name: "after the hang-up" }), "cust-3")).status;
      if (after !== 201) await new Promise((res) => setTimeout(res, 20));
    }
    expect(after).toBe(201);
  });

  it("hashes a chunked body as it arrives, and refuses one past ZLH_MODPACK_MAX_BYTES as soon as it is", async () => {
    const pack = noisyPack(2, 300);
    const chunked = rawUpload(null);
    for (let at = 0; at < pack.byteLength; at += 64 * KiB) chunked.req.write(pack.subarray(at, at + 64 * KiB));
    chunked.req.end();
    expect(await chunked.answer).toMatchObject({ status: 201, body: { sha512: packSha512(pack) } });

    const declared = rawUpload(MiB + 1); // refused on its Content-Length, no byte of it sent
    expect(await declared.answer).toMatchObject({ status: 413, body: { error: "payload_too_large" } });
    declared.req.destroy();
    const endless = rawUpload(null);
    const noise = Buffer.alloc(64 * KiB, 7);
    let sent = 0;
    const pump = () => {
      while (!endless.req.destroyed && sent < 64 * MiB && endless.req.write(noise)) sent += noise.length;
    };
    endless.req.on("drain", pump);
    pump();
    expect(await endless.answer).toMatchObject({ status: 413, body: { error: "payload_too_large" } });
    endless.req.destroy();
    expect(sent).toBeLessThan(64 * MiB); // answered while the client was still sending, not after reading it all
  });

  it("refuses an upload past the customer's quota with nothing stored, lists what the customer holds, and deletes what no server uses", async () => {
    const [a, b, c] = [noisyPack(3, 400), noisyPack(4, 400), noisyPack(5, 400)];
    const first = await upload(a);
    expect(first.status).toBe(201);
    expect((await upload(b)).status).toBe(201);
    const before = await count();
    const over = await upload(c);
    expect({ status: over.status, error: over.body.error }).toEqual({ status: 409, error: "modpack_quota_exceeded" });
    expect(over.body.message).toMatch(/holds \d+ bytes of uploaded packs; this one \(\d+ bytes\) would take them past 1048576 \(ZLH_MODPACK_CUSTOMER_QUOTA_BYTES\)\. Delete one no server uses \(GET \/v1\/modpacks lists them with inUse, DELETE \/v1\/modpacks\/:id removes one\) first\.$/);
    expect(await count()).toBe(before);
    expect((await upload(c, "cust-4")).status).toBe(201); // another customer's quota is its own
    expect((await upload(a)).status).toBe(201); // held already: not counted twice

    const created = await t.api("POST", "/v1/servers", serverBody(1, { minecraftVersion: undefined, modpack: { upload: first.body.sha512 } }), { "idempotency-key": "uploads-a" });
    expect(created.status).toBe(202);
    const list = await t.api("GET", "/v1/modpacks?customerId=cust-1");
    expect(list.status).toBe(200);
    const bySha = Object.fromEntries(list.body.items.map((i: { sha512: string }) => [i.sha512, i]));
    expect(list.body.items.map((i: { sha512: string }) => i.sha512)).toEqual([packSha512(a), packSha512(b)]); // a uploaded again: the newest
    expect(bySha[packSha512(a)]).toMatchObject({ id: packSha512(a), size: a.byteLength, name: "Noise 3", minecraftVersion: "1.21.1", inUse: true, expiresAt: null });
    const held = bySha[packSha512(b)];
    expect(held).toMatchObject({ id: packSha512(b), size: b.byteLength, inUse: false, loader: { name: "fabric-loader", version: "0.16.5" } });
    expect(new Date(held.expiresAt).getTime() - new Date(held.uploadedAt).getTime()).toBe(7 * 86_400_000);
    const paged = await t.api("GET", "/v1/modpacks?customerId=cust-1&limit=1");
    expect(paged.body.items).toHaveLength(1);
    expect((await t.api("GET", `/v1/modpacks?customerId=cust-1&cursor=${paged.body.nextCursor}`)).body).toMatchObject({ items: [{ sha512: packSha512(b) }], nextCursor: null });
    expect((await t.api("GET", "/v1/modpacks?customerId=cust-1&cursor=bm9wZQ")).body.error).toBe("invalid_cursor");

    const inUse = await t.api("DELETE", `/v1/modpacks/${packSha512(a)}?customerId=cust-1`);
    expect({ status: inUse.status, error: inUse.body.error }).toEqual({ status: 409, error: "modpack_in_use" });
    expect((await t.api("DELETE", `/v1/modpacks/${packSha512(b)}?customerId=cust-4`)).status).toBe(404); // not cust-4's
    const gone = await t.api("DELETE", `/v1/modpacks/${packSha512(b)}?customerId=cust-1`);
    expect(gone.status).toBe(204);
    expect((await t.sql`select 1 from modpack_uploads where sha512 = ${packSha512(b)}`).length).toBe(0);
    expect((await t.api("DELETE", `/v1/modpacks/${packSha512(b)}?customerId=cust-1`)).body.error).toBe("modpack_not_found");
    expect((await t.api("GET", "/v1/modpacks?customerId=cust-1")).body.items.map((i: { sha512: string }) => i.sha512)).toEqual([packSha512(a)]);
    expect((await upload(c)).status).toBe(201); // b's bytes freed the quota
  });

  it("answers a delete of an id that is not a sha512 as one of an upload the customer does not hold: 404, as servers do", async () => {
    for (const id of ["not-a-sha512", "A".repeat(128), "%00", "0".repeat(128)]) {
      const res = await t.api("DELETE", `/v1/modpacks/${id}?customerId=cust-1`);
      expect({ status: res.status, error: res.body.error }).toEqual({ status: 404, error: "modpack_not_found" });
      expect(res.body.message).toBe(`This customer has no uploaded modpack ${JSON.stringify(decodeURIComponent(id))}.`);
    }
  });
  it("stores nothing for an upload refused after it was read: a pack whose loader is not provisioned leaves no read contents", async () => {
    // Each refused upload would otherwise leave up to megabytes of read contents (its files and digests) that no
    // quota counts, kept for the retention: a customer could write them without bound.
    const forge = buildMrpack({ name: "Forge pack", dependencies: { minecraft: "1.20.1", forge: "47.3.0" } });
    const refused = await upload(forge, "cust-5");
    expect({ status: refused.status, error: refused.body.error }).toEqual({ status: 422, error: "modpack_loader_unsupported" });
    expect(await t.sql`select sha512 from modpack_contents where sha512 = ${packSha512(forge)}`).toEqual([]);
    expect(await t.sql`select sha512 from modpack_uploads where sha512 = ${packSha512(forge)}`).toEqual([]);
    // An accepted upload still records what it read, so the pack is not inflated again by its resolutions.
    const fabric = noisyPack(6, 10);
    expect((await upload(fabric, "cust-5")).status).toBe(201);
    expect(await t.sql`select sha512 from modpack_contents where sha512 = ${packSha512(fabric)}`).toEqual([{ sha512: packSha512(fabric) }]);
  });
});
