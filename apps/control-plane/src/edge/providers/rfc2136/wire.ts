/**
 * The DNS wire format (RFC 1035 section 4) as far as dynamic updates need it:
 * a header, four sections of resource records, names (compression pointers
 * read, never written) and the rdata of A, SRV and TXT. A reply is a
 * server's bytes: every length and pointer is checked before it is followed.
 */
export const TYPE = { A: 1, TXT: 16, SRV: 33, TSIG: 250, AXFR: 252, ANY: 255, SOA: 6 } as const;
export const CLASS = { IN: 1, NONE: 254, ANY: 255 } as const;
export const OPCODE = { QUERY: 0, UPDATE: 5 } as const;

export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface ResourceRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  data: Buffer;
}

/** A record as read from a reply: `at` is where its rdata starts in the message, for names inside it. */
export interface ReadRecord extends ResourceRecord {
  at: number;
  /** Where the whole record starts in the message (TSIG signs what comes before it). */
  start: number;
}

export interface Message {
  /** The bytes it was read from (names inside rdata point into them). */
  raw: Buffer;
  id: number;
  /** QR, opcode, AA, TC, RD, RA, Z, AD, CD; the rcode is `rcode`. */
  flags: number;
  rcode: number;
  /** For an UPDATE: zone, prerequisite, update and additional sections (RFC 2136 section 2). */
  questions: Question[];
  answers: ReadRecord[];
  authority: ReadRecord[];
  additional: ReadRecord[];
}

export class WireError extends Error {}

/** A name's wire form, uncompressed and lowercased (TSIG's canonical form). */
export function encodeName(name: string): Buffer {
  const trimmed = name.replace(/\.$/, "");
  const labels = trimmed === "" ? [] : trimmed.split(".");
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label.toLowerCase(), "ascii");
    if (bytes.length === 0 || bytes.length > 63) throw new WireError(`${JSON.stringify(name)} has an empty label or one longer than 63 characters`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > 255) throw new WireError(`${JSON.stringify(name)} is longer than a DNS name can be`);
  return out;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

export function encodeRecord(rr: ResourceRecord): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(rr.type, 0);
  fixed.writeUInt16BE(rr.class, 2);
  fixed.writeUInt32BE(rr.ttl, 4);
  fixed.writeUInt16BE(rr.data.length, 8);
  return Buffer.concat([encodeName(rr.name), fixed, rr.data]);
}

export function encodeMessage(m: { id: number; flags: number; questions: Question[]; answers?: ResourceRecord[]; authority?: ResourceRecord[]; additional?: ResourceRecord[] }): Buffer {
  const answers = m.answers ?? [];
  const authority = m.authority ?? [];
  const additional = m.additional ?? [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(m.id, 0);
  header.writeUInt16BE(m.flags, 2);
  header.writeUInt16BE(m.questions.length, 4);
  header.writeUInt16BE(answers.length, 6);
  header.writeUInt16BE(authority.length, 8);
  header.writeUInt16BE(additional.length, 10);
  const questions = m.questions.map((q) => Buffer.concat([encodeName(q.name), u16(q.type), u16(q.class)]));
  return Buffer.concat([header, ...questions, ...[...answers, ...authority, ...additional].map(encodeRecord)]);
}

/** Reads a (possibly compressed) name at `at`; returns it without the trailing dot and where the name ends. */
export function readName(buf: Buffer, at: number): { name: string; end: number } {
  const labels: string[] = [];
  let pos = at;
  let end = -1;
  let length = 1;
  for (let jumps = 0; ; ) {
    const len = byte(buf, pos);
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      // A pointer must point backwards, and a chain of them must end: no loops.
      const target = ((len & 0x3f) << 8) | byte(buf, pos + 1);
      if (end < 0) end = pos + 2;
      if (target >= pos || ++jumps > 64) throw new WireError("a name's compression pointer loops or points forward");
      pos = target;
      continue;
    }
    if (len > 63) throw new WireError("a label with an unknown type");
    if (pos + 1 + len > buf.length) throw new WireError("a label runs past the message");
    labels.push(buf.toString("latin1", pos + 1, pos + 1 + len).toLowerCase());
    length += len + 1;
    if (length > 255) throw new WireError("a name longer than 255 bytes");
    pos += 1 + len;
  }
  return { name: labels.join("."), end };
}

function byte(buf: Buffer, at: number): number {
  if (at >= buf.length) throw new WireError("the message ends in the middle of a name");
  return buf[at]!;
}

export function decodeMessage(buf: Buffer): Message {
  if (buf.length < 12) throw new WireError("a message shorter than its header");
  const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)] as const;
  let pos = 12;
  const questions: Question[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const { name, end } = readName(buf, pos);
    if (end + 4 > buf.length) throw new WireError("a question runs past the message");
    questions.push({ name, type: buf.readUInt16BE(end), class: buf.readUInt16BE(end + 2) });
    pos = end + 4;
  }
  const section = (count: number) => {
    const out: ReadRecord[] = [];
    for (let i = 0; i < count; i++) {
      const start = pos;
      const { name, end } = readName(buf, pos);
      if (end + 10 > buf.length) throw new WireError("a record runs past the message");
      const rdlength = buf.readUInt16BE(end + 8);
      const at = end + 10;
      if (at + rdlength > buf.length) throw new WireError("a record's data runs past the message");
      out.push({ name, type: buf.readUInt16BE(end), class: buf.readUInt16BE(end + 2), ttl: buf.readUInt32BE(end + 4), data: buf.subarray(at, at + rdlength), at, start });
      pos = at + rdlength;
    }
    return out;
  };
  const answers = section(counts[1]);
  const authority = section(counts[2]);
  const additional = section(counts[3]);
  const flags = buf.readUInt16BE(2);
  return { raw: buf, id: buf.readUInt16BE(0), flags, rcode: flags & 0x0f, questions, answers, authority, additional };
}

export function rdataA(address: string): Buffer {
  const parts = address.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) throw new WireError(`${JSON.stringify(address)} is not an IPv4 address`);
  return Buffer.from(parts.map(Number));
}

export function rdataSrv(priority: number, weight: number, port: number, target: string): Buffer {
  const fixed = Buffer.alloc(6);
  fixed.writeUInt16BE(priority, 0);
  fixed.writeUInt16BE(weight, 2);
  fixed.writeUInt16BE(port, 4);
  return Buffer.concat([fixed, encodeName(target)]);
}

export function rdataTxt(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length > 255) throw new WireError("a TXT string longer than 255 bytes");
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

/** A TXT record's character-strings joined (RFC 7208 section 3.3 reads them so too). */
export function readTxt(data: Buffer): string {
  const parts: string[] = [];
  for (let pos = 0; pos < data.length; ) {
    const len = data[pos]!;
    if (pos + 1 + len > data.length) throw new WireError("a TXT string runs past its record");
    parts.push(data.toString("utf8", pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return parts.join("");
}

export function readA(data: Buffer): string {
  if (data.length !== 4) throw new WireError("an A record that is not 4 bytes");
  return [...data].join(".");
}

export function readSrv(message: Buffer, rr: ReadRecord): { priority: number; weight: number; port: number; target: string } {
  if (rr.data.length < 7) throw new WireError("an SRV record too short for its fields");
  const { name, end } = readName(message, rr.at + 6);
  if (end > rr.at + rr.data.length) throw new WireError("an SRV target runs past its record");
  return { priority: rr.data.readUInt16BE(0), weight: rr.data.readUInt16BE(2), port: rr.data.readUInt16BE(4), target: name };
}
