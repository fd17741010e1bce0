import Type, { type TSchema } from "typebox";
import { Compile, type Validator } from "typebox/compile";
import { AgentMessage, ControlMessage, HeldLease, LeaseGrant, LeasedOperation, PROTOCOL_VERSION } from "./messages";

/** `type`: the message type the refused frame named, if it named one of this protocol's (null otherwise). */
type Failure = { ok: false; code: "malformed" | "unsupported_version"; reason: string; type: string | null };
export type Decoded<T> = { ok: true; message: T } | Failure;

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

/** Each message type's own validator, so a refusal names that type's problem, not another branch's of the union. */
function branches(union: { anyOf: TSchema[] }, replace: Record<string, TSchema> = {}): Map<string, Validator> {
  const byType = new Map<string, Validator>();
  for (const branch of union.anyOf as { properties: { type: { const: string } } }[]) {
    const type = branch.properties.type.const;
    byType.set(type, Compile(replace[type] ?? (branch as unknown as TSchema)));
  }
  return byType;
}

const agentMessages = branches(AgentMessage);
/** A grant's frame is checked without its operations, which are checked one by one (decodeControlMessage). */
const controlMessages = branches(ControlMessage, { "lease.grant": Type.Object({ ...LeaseGrant.properties, ops: Type.Array(Type.Unknown()) }) });
const leasedOperation = Compile(LeasedOperation);
const heldLease = Compile(HeldLease);

function problem(validator: Validator, value: unknown, at = ""): string {
  const first = [...validator.Errors(value)][0];
  return `${`${at}${first?.instancePath ?? ""}` || "/"} ${first?.message ?? "does not match the schema"}`;
}

function decode<T>(raw: string, byType: Map<string, Validator>): Decoded<T> {
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
  if (!validator) return { ok: false, code: "malformed", reason: `/type ${JSON.stringify(named ?? null)} is not a message type (${[...byType.keys()].join(", ")})`, type };
  if (!validator.Check(value)) return { ok: false, code: "malformed", reason: `${type}: ${problem(validator, value)}`, type };
  return { ok: true, message: value as T };
}

/** Parses and validates a frame an agent sent. Never throws. */
export function decodeAgentMessage(raw: string): Decoded<AgentMessage> {
  return decode(raw, agentMessages);
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
  const m = decoded.message;
  if (m.type !== "lease.grant") return { ...decoded, refused: [] };
  const ops: LeasedOperation[] = [];
  const refused: RefusedOperation[] = [];
  (m.ops as unknown[]).forEach((op, i) => {
    if (leasedOperation.Check(op)) return ops.push(op);
    const { opId, token } = (typeof op === "object" && op !== null ? op : {}) as Record<string, unknown>;
    const lease = { opId, token };
    refused.push({ lease: heldLease.Check(lease) ? lease : null, reason: `lease.grant: ${problem(leasedOperation, op, `/ops/${i}`)}` });
  });
  return { ok: true, message: { ...m, ops }, refused };
}

type Body<M> = M extends { v: number } ? Omit<M, "v"> : never;

/** Serialises a message, stamping the protocol version. */
export function encode<M extends AgentMessage | ControlMessage>(message: Body<M>): string {
  return JSON.stringify({ v: PROTOCOL_VERSION, ...message });
}
