import { createHmac, timingSafeEqual } from "node:crypto";
import { CLASS, decodeMessage, encodeName, encodeRecord, type Message, readName, TYPE } from "./wire";

/**
 * TSIG (RFC 8945) with HMAC-SHA256: a request is signed over its bytes and
 * the TSIG variables; a reply is trusted only when its own TSIG verifies over
 * the request's MAC, the reply and its variables, within the fudge of our
 * clock. The secret stays in this object: no message or error carries it.
 */
export interface TsigKey {
  /** The key's name, as the server knows it (`zlh-edge.`), lowercase. */
  name: string;
  algorithm: "hmac-sha256";
  secret: Buffer;
}

/** RFC 8945 section 10: the error field of a TSIG record. */
export const TSIG_ERROR = { BADSIG: 16, BADKEY: 17, BADTIME: 18, BADTRUNC: 22 } as const;
const FUDGE = 300;
const ALGORITHM = "hmac-sha256";

export class TsigError extends Error {
  constructor(
    message: string,
    readonly tsigError: number | null = null,
  ) {
    super(message);
  }
}

function u48(seconds: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntBE(seconds, 0, 6);
  return b;
}

/** The TSIG variables (section 4.3.3): what is signed besides the message. */
function variables(keyName: string, algorithm: string, timeSigned: Buffer, fudge: number, error: number, other: Buffer): Buffer {
  const fixed = Buffer.alloc(6);
  fixed.writeUInt16BE(CLASS.ANY, 0);
  fixed.writeUInt32BE(0, 2);
  const tail = Buffer.alloc(6);
  tail.writeUInt16BE(fudge, 0);
  tail.writeUInt16BE(error, 2);
  tail.writeUInt16BE(other.length, 4);
  return Buffer.concat([encodeName(keyName), fixed, encodeName(algorithm), timeSigned, tail, other]);
}

function mac(key: TsigKey, ...parts: Buffer[]): Buffer {
  const h = createHmac("sha256", key.secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Appends a TSIG record to an unsigned message; returns the signed bytes and the MAC the reply must sign over. */
export function signRequest(message: Buffer, key: TsigKey, now = Date.now()): { signed: Buffer; mac: Buffer } {
  return appendTsig(message, key, now, []);
}

/** Signs a reply as a server does (section 5.3): over the request's MAC first. For fakes and tests of the check. */
export function signReply(reply: Buffer, key: TsigKey, requestMac: Buffer, now = Date.now()): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(requestMac.length);
  return appendTsig(reply, key, now, [length, requestMac]).signed;
}

function appendTsig(message: Buffer, key: TsigKey, now: number, before: Buffer[]): { signed: Buffer; mac: Buffer } {
  const time = u48(Math.floor(now / 1000));
  const digest = mac(key, ...before, message, variables(key.name, ALGORITHM, time, FUDGE, 0, Buffer.alloc(0)));
  const sizes = Buffer.alloc(4);
  sizes.writeUInt16BE(FUDGE, 0);
  sizes.writeUInt16BE(digest.length, 2);
  const tail = Buffer.alloc(6);
  tail.writeUInt16BE(message.readUInt16BE(0), 0); // the original id
  tail.writeUInt16BE(0, 2); // error
  tail.writeUInt16BE(0, 4); // other length
  const data = Buffer.concat([encodeName(ALGORITHM), time, sizes, digest, tail]);
  const signed = Buffer.concat([message, encodeRecord({ name: key.name, type: TYPE.TSIG, class: CLASS.ANY, ttl: 0, data })]);
  signed.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return { signed, mac: digest };
}

interface TsigFields {
  algorithm: string;
  timeSigned: Buffer;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  other: Buffer;
}

function readTsig(buf: Buffer, at: number, length: number): TsigFields {
  const { name: algorithm, end } = readName(buf, at);
  const stop = at + length;
  let pos = end;
  const need = (n: number) => {
    if (pos + n > stop) throw new TsigError("the reply's TSIG record is cut short");
  };
  need(10);
  const timeSigned = buf.subarray(pos, pos + 6);
  const fudge = buf.readUInt16BE(pos + 6);
  const macSize = buf.readUInt16BE(pos + 8);
  pos += 10;
  need(macSize + 6);
  const digest = buf.subarray(pos, pos + macSize);
  pos += macSize;
  const originalId = buf.readUInt16BE(pos);
  const error = buf.readUInt16BE(pos + 2);
  const otherLen = buf.readUInt16BE(pos + 4);
  pos += 6;
  need(otherLen);
  return { algorithm, timeSigned, fudge, mac: digest, originalId, error, other: buf.subarray(pos, pos + otherLen) };
}

/**
 * Checks a reply to a signed request (section 5.3). A server that could not
 * verify our request answers with a TSIG error and no MAC (BADKEY, BADSIG):
 * that is reported as the error it names. Anything else unsigned, signed with
 * another key, or with a MAC that does not verify, is not the server's word.
 */
export function verifyReply(reply: Buffer, decoded: Message, key: TsigKey, requestMac: Buffer, now = Date.now(), continuation = false): Buffer {
  const last = decoded.additional.at(-1);
  if (!last || last.type !== TYPE.TSIG) throw new TsigError("the reply is not signed, though the request was: it is not the server's word");
  if (last.name !== key.name.replace(/\.$/, "")) throw new TsigError("the reply is signed with another key");
  const t = readTsig(reply, last.at, last.data.length);
  if (t.algorithm !== ALGORITHM) throw new TsigError("the reply is signed with another algorithm");
  if (t.error !== 0 && t.mac.length === 0) throw new TsigError("the server could not verify the request", t.error);
  // The reply as it was before the TSIG was added: its record removed, the count one less, the original id.
  const unsigned = Buffer.from(reply.subarray(0, last.start));
  unsigned.writeUInt16BE(decoded.additional.length - 1, 10);
  unsigned.writeUInt16BE(t.originalId, 0);
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(requestMac.length);
  // A later message of a transfer signs over the previous MAC and only the timers (section 5.3.1).
  const fudge = Buffer.alloc(2);
  fudge.writeUInt16BE(t.fudge);
  const signedVars = continuation ? Buffer.concat([t.timeSigned, fudge]) : variables(key.name, t.algorithm, t.timeSigned, t.fudge, t.error, t.other);
  const expected = mac(key, prefix, requestMac, unsigned, signedVars);
  if (t.mac.length !== expected.length || !timingSafeEqual(t.mac, expected)) throw new TsigError("the reply's TSIG signature does not verify: it is not the server's word, or was changed on the way");
  if (t.error !== 0) throw new TsigError("the server could not verify the request", t.error);
  const signedAt = t.timeSigned.readUIntBE(0, 6);
  if (Math.abs(Math.floor(now / 1000) - signedAt) > t.fudge) throw new TsigError(`the reply was signed at a time more than ${t.fudge} s from this machine's clock`, TSIG_ERROR.BADTIME);
  return Buffer.from(t.mac);
}

/** Decodes a reply once, for callers that verify it and then read it. */
export function decodeVerified(reply: Buffer, key: TsigKey | null, requestMac: Buffer | null): Message {
  const decoded = decodeMessage(reply);
  if (key && requestMac) verifyReply(reply, decoded, key, requestMac);
  return decoded;
}
