import Type, { type TObject, type TSchema } from "typebox";
import { Compile, type Validator } from "typebox/compile";
import { AgentMessage, ControlMessage, HeldLease, LeasedOperation, PROTOCOL_VERSION, ServerStat } from "./messages";

/** `type`: the message type the refused frame named, if it named one of this protocol's (null otherwise). */
type Failure = { ok: false; code: "malformed" | "unsupported_version"; reason: string; type: string | null };

/**
 * A leased operation this end could not read, refused alone (the grant's
 * others run): with its lease, when that much of it is readable, so it can be
 * reported failed instead of waiting out its lease on a host that never runs it.
 */
export interface RefusedOperation {
  lease: HeldLease | null;
  reason: string;
}
export type DecodedControl = { ok: true; message: ControlMessage; refused: RefusedOperation[] } | Failure;
export type DecodedAgent = { ok: true; message: AgentMessage; refused: string[] } | Failure;

/**
 * Lists whose items are read one by one: an item that does not match is refused alone and its frame keeps the
 * others. A grant's operations (one the agent cannot read must not take the others with it) and a heartbeat's
 * figures (a figure out of range must not cost the host its renewals). Any other part of a frame that does not
 * match refuses the frame.
 */
const ITEMWISE: Record<string, { field: string; item: TSchema }> = {
  "lease.grant": { field: "ops", item: LeasedOperation },
  heartbeat: { field: "stats", item: ServerStat },
};

/** Each message type's own validator (its itemwise list's items unchecked), so a refusal names that type's problem, not another branch's of the union. */
function branches(union: { anyOf: TSchema[] }): Map<string, Validator> {
  const byType = new Map<string, Validator>();
  for (const branch of union.anyOf as unknown as TObject[]) {
    const type = (branch.properties.type as unknown as { const: string }).const;
    const itemwise = ITEMWISE[type];
    const properties = itemwise ? { ...branch.properties, [itemwise.field]: listOfAnything(branch.properties[itemwise.field]!) } : branch.properties;
    byType.set(type, Compile(Type.Object(properties)));
  }
  return byType;
}

/** The list as it was (optional or not, its bound on items), with any items. */
function listOfAnything(list: TSchema): TSchema {
  const optional = Type.IsOptional(list);
  const { maxItems } = list as { maxItems?: number };
  const any = Type.Array(Type.Unknown(), maxItems === undefined ? {} : { maxItems });
  return optional ? Type.Optional(any) : any;
}

const agentMessages = branches(AgentMessage);
const controlMessages = branches(ControlMessage);
const items = Object.fromEntries(Object.entries(ITEMWISE).map(([type, { item }]) => [type, Compile(item)]));
const heldLease = Compile(HeldLease);

function problem(validator: Validator, value: unknown, at = ""): string {
  const first = [...validator.Errors(value)][0];
  return `${`${at}${first?.instancePath ?? ""}` || "/"} ${first?.message ?? "does not match the schema"}`;
}

type Item = { item: unknown; reason: string };

function decode<T>(raw: string, byType: Map<string, Validator>): { ok: true; message: T; refused: Item[] } | Failure {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, code: "malformed", reason: "not JSON", type: null };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { ok: false, code: "malformed", reason: "/ must be an object", type: null };
  const named = "type" in value ? value.type : undefined;
  const validator = typeof named === "string" ? byType.get(named) : undefined;
  const type = validator ? (named as string) : null;
  if ("v" in value && value.v !== PROTOCOL_VERSION) {
    return { ok: false, code: "unsupported_version", reason: `protocol version ${String(value.v)} is not ${PROTOCOL_VERSION}`, type };
  }
  if (!validator || type === null) return { ok: false, code: "malformed", reason: `/type ${JSON.stringify(named ?? null)} is not a message type (${[...byType.keys()].join(", ")})`, type };
  if (!validator.Check(value)) return { ok: false, code: "malformed", reason: `${type}: ${problem(validator, value)}`, type };
  const itemwise = ITEMWISE[type];
  const list = itemwise && (value as Record<string, unknown>)[itemwise.field];
  if (!itemwise || !Array.isArray(list)) return { ok: true, message: value as T, refused: [] };
  const kept: unknown[] = [];
  const refused: Item[] = [];
  list.forEach((item, i) => {
    if (items[type]!.Check(item)) kept.push(item);
    else refused.push({ item, reason: `${type}: ${problem(items[type]!, item, `/${itemwise.field}/${i}`)}` });
  });
  return { ok: true, message: { ...value, [itemwise.field]: kept } as T, refused };
}

/** Parses and validates a frame an agent sent. Never throws. `refused`: the heartbeat's figures left out, each with why. */
export function decodeAgentMessage(raw: string): DecodedAgent {
  const decoded = decode<AgentMessage>(raw, agentMessages);
  return decoded.ok ? { ok: true, message: decoded.message, refused: decoded.refused.map((r) => r.reason) } : decoded;
}

/**
 * Parses and validates a frame the control plane sent. Never throws. A
 * grant's operations are read one by one: one the agent cannot read (a bound
 * it does not know, a kind newer than it) is `refused`, and the grant keeps
 * the others.
 */
export function decodeControlMessage(raw: string): DecodedControl {
  const decoded = decode<ControlMessage>(raw, controlMessages);
  if (!decoded.ok) return decoded;
  const refused = decoded.refused.map(({ item, reason }) => {
    const { opId, token } = (typeof item === "object" && item !== null ? item : {}) as Record<string, unknown>;
    const lease = { opId, token };
    return { lease: heldLease.Check(lease) ? lease : null, reason };
  });
  return { ok: true, message: decoded.message, refused };
}

type Body<M> = M extends { v: number } ? Omit<M, "v"> : never;

/** Serialises a message, stamping the protocol version. */
export function encode<M extends AgentMessage | ControlMessage>(message: Body<M>): string {
  return JSON.stringify({ v: PROTOCOL_VERSION, ...message });
}
