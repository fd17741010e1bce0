import { Compile } from "typebox/compile";
import { AgentMessage, ControlMessage, PROTOCOL_VERSION } from "./messages";

const agentMessage = Compile(AgentMessage);
const controlMessage = Compile(ControlMessage);

export type Decoded<T> = { ok: true; message: T } | { ok: false; code: "malformed" | "unsupported_version"; reason: string };

function decode<T>(raw: string, check: (v: unknown) => boolean, errors: (v: unknown) => Iterable<{ instancePath?: string; message?: string }>): Decoded<T> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, code: "malformed", reason: "not JSON" };
  }
  if (typeof value === "object" && value !== null && "v" in value && value.v !== PROTOCOL_VERSION) {
    return { ok: false, code: "unsupported_version", reason: `protocol version ${String(value.v)} is not ${PROTOCOL_VERSION}` };
  }
  if (!check(value)) {
    const first = [...errors(value)][0];
    return { ok: false, code: "malformed", reason: `${first?.instancePath || "/"} ${first?.message ?? "does not match the schema"}` };
  }
  return { ok: true, message: value as T };
}

/** Parses and validates a frame an agent sent. Never throws. */
export function decodeAgentMessage(raw: string): Decoded<AgentMessage> {
  return decode(raw, (v) => agentMessage.Check(v), (v) => agentMessage.Errors(v));
}

/** Parses and validates a frame the control plane sent. Never throws. */
export function decodeControlMessage(raw: string): Decoded<ControlMessage> {
  return decode(raw, (v) => controlMessage.Check(v), (v) => controlMessage.Errors(v));
}

type Body<M> = M extends { v: number } ? Omit<M, "v"> : never;

/** Serialises a message, stamping the protocol version. */
export function encode<M extends AgentMessage | ControlMessage>(message: Body<M>): string {
  return JSON.stringify({ v: PROTOCOL_VERSION, ...message });
}
