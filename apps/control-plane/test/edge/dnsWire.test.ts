import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { signReply, signRequest, verifyReply } from "../../src/edge/providers/rfc2136/tsig";
import { CLASS, decodeMessage, encodeMessage, readName, readSrv, rdataSrv, TYPE, WireError } from "../../src/edge/providers/rfc2136/wire";

const key = { name: "zlh-edge", algorithm: "hmac-sha256" as const, secret: Buffer.alloc(32, 3) };

describe("the DNS wire format, read from a server's hostile bytes", () => {
  it("reads any bytes either as a message or as a WireError, never anything else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          decodeMessage(Buffer.from(bytes));
        } catch (e) {
          expect(e).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("refuses compression pointers that loop or point forward, and labels past the end", () => {
    expect(() => readName(Buffer.from([0xc0, 0x00]), 0)).toThrow(/loops or points forward/);
    expect(readName(Buffer.from([0x01, 0x61, 0x00, 0xc0, 0x00]), 3)).toEqual({ name: "a", end: 5 });
    // "a" then a pointer back to itself: a backward loop, ended by the jump limit.
    expect(() => readName(Buffer.from([0x01, 0x61, 0xc0, 0x00]), 0)).toThrow(/loops|longer than 255/);
    expect(() => readName(Buffer.from([0x01, 0x61, 0xc0, 0x04, 0x00]), 2)).toThrow(/loops or points forward/);
    expect(() => readName(Buffer.from([0x05, 0x61]), 0)).toThrow(/runs past/);
    expect(() => readName(Buffer.from([0x40]), 0)).toThrow(/unknown type/);
  });

  it("reads back what it writes, a compressed SRV target included", () => {
    const msg = encodeMessage({ id: 7, flags: 0x8400, questions: [{ name: "_minecraft._tcp.mc-1.play.test", type: TYPE.SRV, class: CLASS.IN }], answers: [{ name: "_minecraft._tcp.mc-1.play.test", type: TYPE.SRV, class: CLASS.IN, ttl: 60, data: rdataSrv(0, 5, 25565, "mc-1.play.test") }] });
    const decoded = decodeMessage(msg);
    expect(readSrv(msg, decoded.answers[0]!)).toEqual({ priority: 0, weight: 5, port: 25565, target: "mc-1.play.test" });
    // The target as a pointer to "mc-1.play.test" inside the question's name (offset 12 + "_minecraft" + "_tcp" labels).
    const pointer = Buffer.concat([msg.subarray(0, decoded.answers[0]!.at + 6), Buffer.from([0xc0, 12 + 11 + 5])]);
    pointer.writeUInt16BE(8, decoded.answers[0]!.at - 2);
    expect(readSrv(pointer, decodeMessage(pointer).answers[0]!).target).toBe("mc-1.play.test");
  });
});

describe("TSIG", () => {
  it("verifies a reply signed over the request's MAC, and refuses it changed, re-signed with another key, or signed too long ago", () => {
    const request = encodeMessage({ id: 0x1234, flags: 0, questions: [{ name: "play.test", type: TYPE.SOA, class: CLASS.IN }] });
    const now = Date.UTC(2026, 0, 1);
    const { mac } = signRequest(request, key, now);
    const reply = encodeMessage({ id: 0x1234, flags: 0x8400, questions: [{ name: "play.test", type: TYPE.SOA, class: CLASS.IN }] });
    const good = signReply(reply, key, mac, now);
    expect(() => verifyReply(good, decodeMessage(good), key, mac, now)).not.toThrow();
    const changed = Buffer.from(good);
    changed[3]! |= 0x80;
    expect(() => verifyReply(changed, decodeMessage(changed), key, mac, now)).toThrow(/does not verify/);
    const other = signReply(reply, { ...key, secret: Buffer.alloc(32, 4) }, mac, now);
    expect(() => verifyReply(other, decodeMessage(other), key, mac, now)).toThrow(/does not verify/);
    expect(() => verifyReply(good, decodeMessage(good), key, mac, now + 301_000)).toThrow(/more than 300 s/);
    expect(() => verifyReply(reply, decodeMessage(reply), key, mac, now)).toThrow(/not signed/);
  });
});
