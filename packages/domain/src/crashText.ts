/**
 * Text from inside a container (its game's log, stderr, crash report) made
 * safe to store and show: it is the customer's, and may hold anything. Bytes
 * are decoded as UTF-8 with invalid sequences replaced (U+FFFD), terminal
 * escape sequences (CSI, OSC, and any other ESC) are removed, other control
 * characters but tab become U+FFFD, as do the bidirectional overrides that
 * can make a line display as something else, and so does half of a
 * surrogate pair (JSON carries it as an escape Postgres refuses to store);
 * lines are cut to `maxLineChars` on a code point boundary.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they are removed.
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|\x9b[0-?]*[ -/]*[@-~]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they are replaced.
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
/** Half of a surrogate pair, alone: not a character, and refused by jsonb. */
const LONE_SURROGATES = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const decoder = new TextDecoder("utf-8", { fatal: false });

/**
 * Any string as Postgres can store it, in text and in jsonb: NUL (refused by
 * both) and a lone surrogate (jsonb refuses its escape) become U+FFFD; all
 * else is kept. For free text from a peer that is stored, not shown as a log.
 */
export function storableText(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what is replaced.
  return value.replace(/\u0000/g, "\ufffd").replace(LONE_SURROGATES, "\ufffd");
}

/**
 * The most of a reason the control plane stores (a failure reason, an
 * event's `reason`, a last error's message): the ones it words are a few
 * hundred characters; what makes one longer is text it echoes from a peer
 * (an upstream's file name, a URL), which must not become a megabyte row.
 */
export const REASON_MAX_CHARS = 2048;

/**
 * `reason` as it is stored and shown: storable (storableText), without
 * terminal escape sequences (the CLI prints it), cut to REASON_MAX_CHARS on
 * a code point boundary with "…" saying so. Newlines are kept.
 */
export function boundedReason(reason: string): string {
  return cut(storableText(reason.replace(ESCAPES, "")), REASON_MAX_CHARS);
}

/** `text` in at most `max` UTF-16 units, "…" included when it is cut; never half of a surrogate pair (the cut would make a lone one of it). */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\ud800-\udbff]/.test(text[max - 2] ?? "") ? max - 2 : max - 1;
  return `${text.slice(0, end)}…`;
}

export interface TextLimits {
  maxLines: number;
  maxLineChars: number;
}

/** One line made safe (no newline expected in it). */
export function cleanLine(line: string, maxLineChars: number): string {
  return cut(line.replace(/\r$/, "").replace(ESCAPES, "").replace(CONTROLS, "\ufffd").replace(LONE_SURROGATES, "\ufffd"), maxLineChars);
}

/**
 * The lines of `data` made safe; `from: "end"` keeps the last `maxLines` (a
 * log's tail; a partial first line, where `data` starts mid-file, dropped),
 * `from: "start"` the first (a crash report's head). Trailing empty lines are
 * not counted.
 */
export function safeLines(data: Uint8Array, limits: TextLimits, from: "start" | "end", startsMidFile = false): string[] {
  let lines = decoder.decode(data).split("\n");
  if (startsMidFile && lines.length > 1) lines = lines.slice(1);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === "") lines.pop();
  const kept = from === "end" ? lines.slice(Math.max(0, lines.length - limits.maxLines)) : lines.slice(0, limits.maxLines);
  return kept.map((l) => cleanLine(l, limits.maxLineChars));
}
