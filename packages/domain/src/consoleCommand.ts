/**
 * One console line, as RCON carries it: the one bound the API, the wire
 * protocol and the agent all hold, so a command the API accepts is never
 * refused further down (where a refusal cost a whole host its work).
 *
 * The length is vanilla's (RconClient): it reads a request with one read of
 * at most 1460 bytes and drops the connection unless that read is exactly one
 * whole packet, 14 bytes of it framing, so a command is at most 1446 bytes in
 * UTF-8. JSON Schema counts characters: a schema says MAX_COMMAND_BYTES
 * characters (no longer string fits in that many bytes) and the bytes are
 * counted in code (commandBytes).
 */
export const MAX_COMMAND_BYTES = 1446;

/**
 * Printable text only: RCON carries one line; a newline or a control character has no place in it. That is C0,
 * DEL and C1 (U+0085 is a line break to many readers) and Unicode's own line and paragraph separators (U+2028,
 * U+2029): a log viewer that breaks lines on them would show a customer's command as a forged console line.
 */
export const COMMAND_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]+$";

export const commandBytes = (command: string): number => new TextEncoder().encode(command).length;
