/**
 * Text from inside a container (its game's log, stderr, crash report) made
 * safe to store and show: it is the customer's, and may hold anything. Bytes
 * are decoded as UTF-8 with invalid sequences replaced (U+FFFD), terminal
 * escape sequences (CSI, OSC, and any other ESC) are removed, other control
 * characters but tab become U+FFFD, as do the bidirectional overrides that
 * can make a line display as something else; lines are cut to `maxLineChars`.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they are removed.
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|\x9b[0-?]*[ -/]*[@-~]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they are replaced.
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
const decoder = new TextDecoder("utf-8", { fatal: false });

export interface TextLimits {
  maxLines: number;
  maxLineChars: number;
}

/** One line made safe (no newline expected in it). */
export function cleanLine(line: string, maxLineChars: number): string {
  const clean = line.replace(/\r$/, "").replace(ESCAPES, "").replace(CONTROLS, "\ufffd");
  // Cut between the halves of a surrogate pair, the half left would be no character: it goes too.
  return clean.length > maxLineChars ? `${clean.slice(0, maxLineChars - 1).replace(/[\ud800-\udbff]$/, "")}…` : clean;
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
