/** An inclusive integer range such as `5000-5999`, as used by ZLH_VMID_RANGE and ZLH_PORT_RANGE. */
export interface IntRange {
  readonly first: number;
  readonly last: number;
}

export function parseRange(text: string, min: number, max: number): IntRange | string {
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text);
  if (!m) return `expected "<first>-<last>", got ${JSON.stringify(text)}`;
  const first = Number(m[1]);
  const last = Number(m[2]);
  if (first > last) return `first (${first}) is greater than last (${last})`;
  if (first < min || last > max) return `must lie within ${min}-${max}`;
  return { first, last };
}
