import { randomInt } from "node:crypto";
import { type ErrorContext, RCODE, Rfc2136Error, rcodeFailure, tsigFailure } from "./errors";
import { exchange, type Endpoint } from "./transport";
import { decodeVerified, signRequest, TsigError, type TsigKey } from "./tsig";
import { CLASS, encodeMessage, type Message, OPCODE, readA, readSrv, readTxt, type ResourceRecord, TYPE, WireError } from "./wire";

/** Where updates and queries go, with the key that signs them (null: unsigned, for a plain lookup). */
export interface DnsServer extends Endpoint {
  key: TsigKey | null;
  timeoutMs: number;
}

export type Answer =
  | { type: "A"; name: string; ttl: number; address: string }
  | { type: "SRV"; name: string; ttl: number; priority: number; weight: number; port: number; target: string }
  | { type: "TXT"; name: string; ttl: number; text: string };

const AA = 0x0400;

function context(s: DnsServer, zone: string): ErrorContext {
  return { server: `${s.host}:${s.port}`, zone, keyName: s.key?.name ?? "(none)" };
}

/** Sends one request and returns its verified reply; every failure is an Rfc2136Error. */
async function ask(s: DnsServer, request: Buffer, zone: string): Promise<Message> {
  const signed = s.key ? signRequest(request, s.key) : null;
  const reply = await exchange(s, signed?.signed ?? request, s.timeoutMs);
  try {
    const decoded = decodeVerified(reply, s.key, signed?.mac ?? null);
    if (decoded.id !== request.readUInt16BE(0) || (decoded.flags & 0x8000) === 0) throw new WireError("the reply does not answer the request (another id, or not a reply)");
    return decoded;
  } catch (e) {
    if (e instanceof TsigError) throw tsigFailure(e.tsigError, e.message, context(s, zone));
    if (e instanceof WireError) throw new Rfc2136Error("protocol", `the reply from ${s.host}:${s.port} is malformed: ${e.message}.`);
    throw e;
  }
}

export type UpdateOutcome = "applied" | "prerequisite_failed";

/**
 * One RFC 2136 UPDATE: all of `prerequisites` must hold, then all of
 * `updates` are applied, atomically. A failed prerequisite (YXDOMAIN,
 * YXRRSET, NXDOMAIN, NXRRSET) is an outcome, not an error: the caller decides.
 */
export async function sendUpdate(s: DnsServer, zone: string, prerequisites: ResourceRecord[], updates: ResourceRecord[]): Promise<UpdateOutcome> {
  const request = encodeMessage({ id: randomInt(0x10000), flags: OPCODE.UPDATE << 11, questions: [{ name: zone, type: TYPE.SOA, class: CLASS.IN }], answers: prerequisites, authority: updates });
  const reply = await ask(s, request, zone);
  if (reply.rcode === RCODE.NOERROR) return "applied";
  if (reply.rcode === RCODE.YXDOMAIN || reply.rcode === RCODE.YXRRSET || reply.rcode === RCODE.NXDOMAIN || reply.rcode === RCODE.NXRRSET) return "prerequisite_failed";
  throw rcodeFailure(reply.rcode, context(s, zone));
}

/**
 * The records of one name and type, from an authoritative answer (the
 * server's own zone data, no cache between): what "verified by a lookup"
 * means. A name that does not exist, or has no such record, gives [].
 */
export async function queryRecords(s: DnsServer, name: string, type: "A" | "SRV" | "TXT", zone = name): Promise<Answer[]> {
  const request = encodeMessage({ id: randomInt(0x10000), flags: OPCODE.QUERY << 11, questions: [{ name, type: TYPE[type], class: CLASS.IN }] });
  const reply = await ask(s, request, zone);
  if (reply.rcode === RCODE.NXDOMAIN) return [];
  if (reply.rcode !== RCODE.NOERROR) throw rcodeFailure(reply.rcode, context(s, zone));
  if ((reply.flags & AA) === 0) throw new Rfc2136Error("notauth", `${s.host}:${s.port} answered for ${name} without authority: it is not a server of the zone.`);
  const wanted = name.toLowerCase().replace(/\.$/, "");
  const out: Answer[] = [];
  try {
    for (const rr of reply.answers) {
      if (rr.name !== wanted || rr.class !== CLASS.IN || rr.type !== TYPE[type]) continue;
      if (type === "A") out.push({ type, name: rr.name, ttl: rr.ttl, address: readA(rr.data) });
      else if (type === "TXT") out.push({ type, name: rr.name, ttl: rr.ttl, text: readTxt(rr.data) });
      else out.push({ type, name: rr.name, ttl: rr.ttl, ...readSrv(reply.raw, rr) });
    }
  } catch (e) {
    if (e instanceof WireError) throw new Rfc2136Error("protocol", `the reply from ${s.host}:${s.port} is malformed: ${e.message}.`);
    throw e;
  }
  return out;
}
