import { randomInt } from "node:crypto";
import { type ErrorContext, RCODE, Rfc2136Error, rcodeFailure, tsigFailure } from "./errors";
import { exchange, exchangeMany, type Endpoint } from "./transport";
import { decodeVerified, signRequest, TsigError, type TsigKey, verifyReply } from "./tsig";
import { CLASS, decodeMessage, encodeMessage, type Message, OPCODE, readA, readSrv, readTxt, type ResourceRecord, TYPE, WireError } from "./wire";

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
  return asFailure(s, zone, () => answering(request, decodeVerified(reply, s.key, signed?.mac ?? null)));
}

function answering(request: Buffer, decoded: Message): Message {
  if (decoded.id !== request.readUInt16BE(0) || (decoded.flags & 0x8000) === 0) throw new WireError("the reply does not answer the request (another id, or not a reply)");
  return decoded;
}

/** A reply's TSIG or wire failure as an Rfc2136Error. */
function asFailure<T>(s: DnsServer, zone: string, read: () => T): T {
  try {
    return read();
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
  return asFailure(s, zone, () => readAnswers(reply, (rr) => rr.name === wanted && rr.type === TYPE[type]));
}

/** The A, SRV and TXT records of a reply's answer section that `keep` keeps. */
function readAnswers(reply: Message, keep: (rr: ResourceRecord) => boolean): Answer[] {
  const out: Answer[] = [];
  for (const rr of reply.answers) {
    if (rr.class !== CLASS.IN || !keep(rr)) continue;
    if (rr.type === TYPE.A) out.push({ type: "A", name: rr.name, ttl: rr.ttl, address: readA(rr.data) });
    else if (rr.type === TYPE.TXT) out.push({ type: "TXT", name: rr.name, ttl: rr.ttl, text: readTxt(rr.data) });
    else if (rr.type === TYPE.SRV) out.push({ type: "SRV", name: rr.name, ttl: rr.ttl, ...readSrv(reply.raw, rr) });
  }
  return out;
}

/**
 * The whole zone's A, SRV and TXT records by a zone transfer (AXFR, RFC 5936) signed with the key: every
 * message of the reply must verify (RFC 8945 section 5.3.1, each over the MAC before it); the transfer ends
 * at the SOA record that closes it.
 */
export async function transferZone(s: DnsServer, zone: string): Promise<Answer[]> {
  const request = encodeMessage({ id: randomInt(0x10000), flags: OPCODE.QUERY << 11, questions: [{ name: zone, type: TYPE.AXFR, class: CLASS.IN }] });
  const signed = s.key ? signRequest(request, s.key) : null;
  let previousMac = signed?.mac ?? null;
  let soas = 0;
  let messages = 0;
  const out: Answer[] = [];
  await exchangeMany(s, signed?.signed ?? request, s.timeoutMs, (raw) =>
    asFailure(s, zone, () => {
      const decoded = answering(request, decodeMessage(raw));
      if (decoded.rcode !== RCODE.NOERROR) throw rcodeFailure(decoded.rcode, context(s, zone));
      if (s.key && previousMac) previousMac = verifyReply(raw, decoded, s.key, previousMac, Date.now(), messages > 0);
      messages++;
      for (const rr of decoded.answers) if (rr.type === TYPE.SOA) soas++;
      if (soas === 0) throw new WireError("a zone transfer that does not begin with the zone's SOA record");
      out.push(...readAnswers(decoded, () => true));
      return soas >= 2;
    }),
  );
  return out;
}
