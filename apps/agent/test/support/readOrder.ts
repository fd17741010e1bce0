import { opendirSync } from "node:fs";

/** The directory's names in the order readdir gives them (the guest worker reads them in this order). */
export function readOrder(dir: string): string[] {
  const d = opendirSync(dir);
  const names: string[] = [];
  for (let e; (e = d.readSync()) !== null; ) names.push(e.name);
  d.closeSync();
  return names;
}
