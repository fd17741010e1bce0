import { type DesiredEdge, type EdgeRecord, minecraftSrvName } from "../../desiredEdge";
import { NamingError, parseZone } from "../../naming";
import { type Answer, type DnsServer, queryRecords, sendUpdate, transferZone } from "./client";
import { Rfc2136Error } from "./errors";
import { CLASS, encodeName, rdataA, rdataSrv, rdataTxt, type ResourceRecord, TYPE, WireError } from "./wire";

/**
 * The edge's records in a zone served by anything that speaks RFC 2136
 * dynamic updates signed with TSIG (BIND, Knot, PowerDNS, Technitium).
 *
 * Ownership: the platform marks each name it publishes with a TXT record
 * `"zlh-owner=<serverId>"` at the same name, written in the same UPDATE as the
 * records. Every change carries a prerequisite the server checks atomically:
 * the name's TXT RRset is exactly that marker, or (when first claiming it)
 * neither the name nor its SRV name holds any record. A name someone else
 * made, or another server owns, is never changed: `not_owner`.
 */
export interface Rfc2136Config {
  /** `host:port` (`[v6]:port`); port 53 when left out. */
  server: string;
  zone: string;
  keyName: string;
  keyAlgorithm: string;
  /** Base64, as `tsig-keygen` prints it. */
  keySecret: string;
  /** Each request's deadline; 5 s by default. */
  timeoutMs?: number;
}

/** What a zone holds for a name: its owner's server id (null: no marker of ours) and its A and SRV records. */
export interface EdgeZoneState {
  owner: string | null;
  records: EdgeRecord[];
}

export interface Rfc2136Provider {
  /** Makes the name's A and SRV RRsets exactly `edge.records` (none while the server has no address), in one UPDATE. */
  apply(serverId: string, edge: Pick<DesiredEdge, "fqdn" | "records">): Promise<void>;
  /** Deletes the name's A, SRV and marker; `absent` when nothing of the name was there. */
  remove(serverId: string, fqdn: string): Promise<"removed" | "absent">;
  read(fqdn: string): Promise<EdgeZoneState>;
  /** Every name of the zone with an A, TXT or Minecraft SRV record, by a signed zone transfer. */
  list(): Promise<(EdgeZoneState & { fqdn: string })[]>;
}

/** The name Minecraft's client asks for (the same prefix as desiredEdge's SRV record). */
const OWNER = "zlh-owner=";
const MARKER_TTL = 300;

/** Why a configuration is refused; the caller names where it came from. */
export class Rfc2136ConfigError extends Error {}

export function rfc2136Provider(config: Rfc2136Config): Rfc2136Provider {
  const { dns, zone } = parseConfig(config);
  const ctx = `${dns.host}:${dns.port}`;

  const inZone = (fqdn: string): string => {
    const name = fqdn.toLowerCase().replace(/\.$/, "");
    if (!name.endsWith(`.${zone}`)) throw new Rfc2136Error("notzone", `${JSON.stringify(fqdn)} is not a name inside zone ${zone}.`);
    encodeName(minecraftSrvName(name));
    return name;
  };
  const checkOwner = (serverId: string) => {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(serverId)) throw new Rfc2136Error("protocol", "a server id for the ownership marker must be 1-64 letters, digits or '-'.");
    return { name: "", type: TYPE.TXT, class: CLASS.IN, ttl: MARKER_TTL, data: rdataTxt(`${OWNER}${serverId}`) };
  };
  // RFC 2136 section 2.4.2: a value-dependent prerequisite is the RRset itself with TTL 0.
  const asPrerequisite = (rr: ResourceRecord): ResourceRecord => ({ ...rr, ttl: 0 });
  const deleteRRset = (name: string, type: number): ResourceRecord => ({ name, type, class: CLASS.ANY, ttl: 0, data: Buffer.alloc(0) });
  const notInUse = (name: string): ResourceRecord => ({ name, type: TYPE.ANY, class: CLASS.NONE, ttl: 0, data: Buffer.alloc(0) });
  const notOwned = (fqdn: string, serverId: string) => new Rfc2136Error("not_owner", `${fqdn} in zone ${zone} at ${ctx} holds records not marked "${OWNER}${serverId}": left alone (edge drift).`);

  const encodeRecords = (fqdn: string, records: EdgeRecord[]): ResourceRecord[] =>
    records.map((r) => {
      const expected = r.type === "A" ? fqdn : minecraftSrvName(fqdn);
      if (r.name.toLowerCase().replace(/\.$/, "") !== expected) throw new Rfc2136Error("notzone", `a ${r.type} record for ${fqdn} must be named ${expected}, not ${r.name}.`);
      if (!Number.isInteger(r.ttl) || r.ttl < 0 || r.ttl > 0x7fffffff) throw new Rfc2136Error("protocol", `TTL ${r.ttl} is not a DNS TTL.`);
      try {
        if (r.type === "A") return { name: expected, type: TYPE.A, class: CLASS.IN, ttl: r.ttl, data: rdataA(r.address) };
        for (const n of [r.priority, r.weight, r.port]) if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new WireError(`${n} is not a 16-bit SRV field`);
        return { name: expected, type: TYPE.SRV, class: CLASS.IN, ttl: r.ttl, data: rdataSrv(r.priority, r.weight, r.port, r.target) };
      } catch (e) {
        if (e instanceof WireError) throw new Rfc2136Error("protocol", `a ${r.type} record for ${fqdn}: ${e.message}.`);
        throw e;
      }
    });

  const read = async (fqdn: string): Promise<EdgeZoneState> => {
    const name = inZone(fqdn);
    const [a, srv, txt] = await Promise.all([queryRecords(dns, name, "A", zone), queryRecords(dns, minecraftSrvName(name), "SRV", zone), queryRecords(dns, name, "TXT", zone)]);
    return stateOf([...a, ...srv, ...txt]);
  };

  return {
    read,
    async list() {
      const byName = new Map<string, Answer[]>();
      const srvPrefix = minecraftSrvName("");
      for (const r of await transferZone(dns, zone)) {
        const name = r.type === "SRV" && r.name.startsWith(srvPrefix) ? r.name.slice(srvPrefix.length) : r.name;
        if (name.startsWith("_") || !name.endsWith(`.${zone}`)) continue;
        byName.set(name, [...(byName.get(name) ?? []), r]);
      }
      return [...byName].map(([fqdn, answers]) => ({ fqdn, ...stateOf(answers) }));
    },
    async apply(serverId, edge) {
      const fqdn = inZone(edge.fqdn);
      const marker = { ...checkOwner(serverId), name: fqdn };
      const updates = [deleteRRset(fqdn, TYPE.A), deleteRRset(minecraftSrvName(fqdn), TYPE.SRV), marker, ...encodeRecords(fqdn, edge.records)];
      // Ours already (the common case), else a name nobody uses; each checked by the server in the same UPDATE.
      if ((await sendUpdate(dns, zone, [asPrerequisite(marker)], updates)) === "applied") return;
      if ((await sendUpdate(dns, zone, [notInUse(fqdn), notInUse(minecraftSrvName(fqdn))], updates)) === "applied") return;
      throw notOwned(fqdn, serverId);
    },

    async remove(serverId, fqdn) {
      const name = inZone(fqdn);
      const marker = { ...checkOwner(serverId), name };
      const updates = [deleteRRset(name, TYPE.A), deleteRRset(minecraftSrvName(name), TYPE.SRV), deleteRRset(name, TYPE.TXT)];
      if ((await sendUpdate(dns, zone, [asPrerequisite(marker)], updates)) === "applied") return "removed";
      const state = await read(name);
      if (state.records.length === 0 && state.owner === null) return "absent";
      throw notOwned(name, serverId);
    },
  };
}

/** A name's answers as its owner (the marker, when it is the name's only TXT record: what the UPDATE prerequisite checks too) and records. */
function stateOf(answers: Answer[]): EdgeZoneState {
  const txt = answers.filter((t) => t.type === "TXT");
  const markers = txt.flatMap((t) => (t.text.startsWith(OWNER) ? [t.text.slice(OWNER.length)] : []));
  const records: EdgeRecord[] = answers.flatMap((r) => (r.type === "TXT" ? [] : [r]));
  return { owner: markers.length === 1 && txt.length === 1 ? markers[0]! : null, records };
}

/** Checks a configuration once, at start: a bad one is a sentence naming the field, never the secret. */
function parseConfig(c: Rfc2136Config): { dns: DnsServer; zone: string } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+))(?::(\d{1,5}))?$/.exec(c.server.trim());
  const host = m?.[1] ?? m?.[2];
  const port = m?.[3] === undefined ? 53 : Number(m[3]);
  if (!host || port < 1 || port > 65535) throw new Rfc2136ConfigError(`server ${JSON.stringify(c.server)} is not host:port (such as 192.0.2.53:53 or [2001:db8::53]:53).`);
  let zone: string;
  try {
    zone = parseZone(c.zone);
  } catch (e) {
    if (e instanceof NamingError) throw new Rfc2136ConfigError(`zone ${JSON.stringify(c.zone)} ${e.message}`);
    throw e;
  }
  const keyName = c.keyName.trim().toLowerCase().replace(/\.$/, "");
  if (!/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(keyName) || keyName.length > 253) {
    throw new Rfc2136ConfigError(`key name ${JSON.stringify(c.keyName)} is not a DNS name (such as zlh-edge or zlh-edge.example.com).`);
  }
  if (c.keyAlgorithm.trim().toLowerCase() !== "hmac-sha256") throw new Rfc2136ConfigError(`key algorithm ${JSON.stringify(c.keyAlgorithm)} is not supported; use hmac-sha256.`);
  // The secret is checked but never quoted: a typo in it must not end up in a log.
  const secret = c.keySecret.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(secret) || secret.length % 4 !== 0) throw new Rfc2136ConfigError("key secret is not base64 (as tsig-keygen prints it).");
  const bytes = Buffer.from(secret, "base64");
  if (bytes.length < 16) throw new Rfc2136ConfigError(`key secret is ${bytes.length} bytes; use at least 16 (tsig-keygen makes 32 for hmac-sha256).`);
  const timeoutMs = c.timeoutMs ?? 5000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 120_000) throw new Rfc2136ConfigError("timeout must be 1-120000 ms.");
  return { dns: { host, port, key: { name: keyName, algorithm: "hmac-sha256", secret: bytes }, timeoutMs }, zone };
}
