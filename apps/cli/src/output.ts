import type { Client } from "./http";

/** What every command gets: the API client, --json, and where to write (stdout for results, stderr for the rest). */
export interface Ctx {
  client: Client;
  json: boolean;
  out(line: string): void;
  err(line: string): void;
  /** Aborted on SIGINT/SIGTERM: a follow or a wait ends. */
  signal: AbortSignal;
}

/** --json prints exactly what the API answered. */
export function printJson(ctx: Ctx, body: unknown): void {
  ctx.out(JSON.stringify(body, null, 2));
}

/** The most of one value the CLI prints: past it, text from the API is cut with "…" (a megabyte reason would flood a terminal). */
export const PRINTABLE_MAX_CHARS = 4096;

/**
 * Text from the API (names, log lines, command replies: what players and games wrote) with control characters
 * shown as `?`, so none reaches the terminal, and at most PRINTABLE_MAX_CHARS code points of it.
 */
export function printable(text: string): string {
  let out = "";
  let count = 0;
  for (const ch of text) {
    if (count++ === PRINTABLE_MAX_CHARS) return `${out}…`;
    const c = ch.codePointAt(0)!;
    out += (c < 0x20 && c !== 0x09) || (c >= 0x7f && c <= 0x9f) ? "?" : ch;
  }
  return out;
}

type Cell = string | number | boolean | null | undefined;

/** A plain table: a header, columns padded to their widest cell, no colours (output goes to pipes as often as to terminals). */
export function table(ctx: Ctx, headers: string[], rows: Cell[][]): void {
  const text = rows.map((r) => r.map((c) => (c === null || c === undefined || c === "" ? "-" : printable(String(c)))));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  ctx.out(line(headers));
  for (const r of text) ctx.out(line(r));
}

/** A describe view: one `key: value` a line, nested objects flattened with dots. */
export function keyValues(ctx: Ctx, obj: Record<string, unknown>): void {
  const rows: [string, string][] = [];
  const walk = (prefix: string, v: unknown) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0) {
      for (const [k, inner] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, inner);
    } else rows.push([prefix, v === null || v === undefined ? "-" : typeof v === "object" ? JSON.stringify(v) : String(v)]);
  };
  walk("", obj);
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) ctx.out(`${`${k}:`.padEnd(width + 1)} ${printable(v)}`);
}

/** Either the API's JSON or a human rendering of it. */
export function show(ctx: Ctx, body: unknown, human: () => void): void {
  if (ctx.json) printJson(ctx, body);
  else human();
}

export const mib = (n: number) => (n >= 1024 ? `${(n / 1024).toFixed(n % 1024 === 0 ? 0 : 1)}G` : `${n}M`);

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "-";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

/** A timestamp as a short age ("12s ago", "3h ago"). */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "-";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  if (s < 172_800) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86_400)}d ago`;
}

/** A path segment from user input: encoded, so an argument cannot walk to another route. */
export const seg = (s: string) => encodeURIComponent(s);
