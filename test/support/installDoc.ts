import { readFile } from "node:fs/promises";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");

/** A file of the repository as an operator reads it (docs/install.md, deploy/env/*.example). */
export const repoText = (path: string) => readFile(resolve(ROOT, path), "utf8");

/**
 * The fenced code blocks of one section of a markdown page: the heading's own text up to the next heading of the
 * same or a higher level. Throws naming the heading when it is gone, so a renamed step fails the test, not a lookup.
 */
export function sectionBlocks(markdown: string, heading: string): string[] {
  const lines = markdown.split("\n");
  // A `# comment` line inside a code block is shell, not a heading.
  let fenced = false;
  const isHeading = lines.map((l) => {
    if (l.startsWith("```")) fenced = !fenced;
    return !fenced && /^#+ /.test(l);
  });
  const start = lines.findIndex((l, i) => isHeading[i] && /^#{2,4} /.test(l) && l.replace(/^#+ /, "") === heading);
  if (start < 0) throw new Error(`no heading "${heading}" in the page`);
  const level = /^#+/.exec(lines[start]!)![0].length;
  const end = lines.findIndex((l, i) => i > start && isHeading[i] && /^#+/.exec(l)![0].length <= level);
  const body = lines.slice(start + 1, end < 0 ? undefined : end).join("\n");
  return [...body.matchAll(/^```\w*\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/** The one block of a section that contains `marker`. */
export function blockWith(markdown: string, heading: string, marker: string): string {
  const found = sectionBlocks(markdown, heading).filter((b) => b.includes(marker));
  if (found.length !== 1) throw new Error(`"${heading}" has ${found.length} code blocks with "${marker}"`);
  return found[0]!;
}

/**
 * `KEY=value` lines of an environment file or a block, commented ones too. A comment after a value is refused:
 * systemd's EnvironmentFile (and `set -a; .`) would make it part of the value.
 */
export function envLines(text: string): { key: string; value: string; commented: boolean }[] {
  return text.split("\n").flatMap((line) => {
    const m = /^(#?)([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) return [];
    if (/\s#/.test(m[3]!)) throw new Error(`${m[2]}'s line has a comment after its value, which would be part of it: ${JSON.stringify(line)}`);
    return [{ key: m[2]!, value: m[3]!.trim(), commented: m[1] === "#" }];
  });
}

/**
 * An environment file made from an example as the docs say to edit it: each key in `set` given that value (a
 * commented-out line of it uncommented), keys the example lacks appended, every other line kept as it is.
 */
export function editEnvFile(example: string, set: Record<string, string>): string {
  const done = new Set<string>();
  const lines = example.split("\n").map((line) => {
    const m = /^#?([A-Z][A-Z0-9_]*)=/.exec(line);
    if (!m || !(m[1]! in set) || done.has(m[1]!)) return line;
    done.add(m[1]!);
    return `${m[1]}=${set[m[1]!]}`;
  });
  for (const [key, value] of Object.entries(set)) if (!done.has(key)) lines.push(`${key}=${value}`);
  return `${lines.join("\n").trimEnd()}\n`;
}
