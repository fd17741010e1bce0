/**
 * Just enough PromQL and exposition-format reading for the checks of deploy/grafana
 * (grafanaProvisioning.test.ts): the metric names an expression selects and the label matchers
 * it puts on each, and the series a scrape exports.
 */

const KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan"]);

export interface Selector {
  metric: string;
  matchers: { label: string; op: string; value: string }[];
}

/** The metric selectors of `expr`: every identifier that is neither a function, a keyword, a label list, a string nor a range. */
export function selectors(expr: string): Selector[] {
  const found: Selector[] = [];
  // Label lists of grouping and matching modifiers are label names, not metrics.
  const text = expr.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " $1 ");
  const re = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\[[^\]]*\]|\d+(?:\.\d+)?(?:e[+-]?\d+)?/g;
  for (const m of text.matchAll(re)) {
    const name = m[1];
    if (!name) continue;
    const rest = text.slice((m.index ?? 0) + m[0].length);
    if (!m[2] && /^\s*(\(|(by|without)\b)/.test(rest)) continue; // a function call, or an aggregation with its grouping first
    if (KEYWORDS.has(name.toLowerCase())) continue;
    const matchers = [...(m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)].map((x) => ({ label: x[1]!, op: x[2]!, value: x[3]! }));
    found.push({ metric: name, matchers });
  }
  return found;
}

export interface Exposition {
  /** Every sample name a scrape may carry: each family's name and, for a histogram or summary, its _bucket, _sum and _count. */
  names: Set<string>;
  /** The label sets of each sample name's series. */
  series: Map<string, Record<string, string>[]>;
}

export function readExposition(...texts: string[]): Exposition {
  const names = new Set<string>();
  const series = new Map<string, Record<string, string>[]>();
  for (const text of texts) {
    for (const line of text.split("\n")) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (type) {
        names.add(type[1]!);
        if (type[2] === "histogram" || type[2] === "summary") for (const s of ["_bucket", "_sum", "_count"]) names.add(`${type[1]}${s}`);
        continue;
      }
      const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/.exec(line);
      if (!sample) continue;
      const labels = Object.fromEntries([...(sample[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
      series.set(sample[1]!, [...(series.get(sample[1]!) ?? []), labels]);
    }
  }
  return { names, series };
}
