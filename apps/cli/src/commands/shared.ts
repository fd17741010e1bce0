import { InvalidArgumentError } from "commander";
import type { Ctx } from "../output";

/** A command's action with its context: program.ts builds the client from the global flags and maps errors to exit codes. */
export type Run = (fn: (ctx: Ctx, opts: never, ...args: never[]) => Promise<void>) => (...args: unknown[]) => Promise<void>;

export function intArg(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError("not a whole number");
  return Number(value);
}

export const repeat = (value: string, previous: string[]) => [...previous, value];

/** A UUID, or a name to look up among `items` (hosts are few and named uniquely). */
export function byIdOrName<T extends { id: string; name: string }>(items: T[], ref: string): T | undefined {
  return items.find((i) => i.id === ref) ?? items.find((i) => i.name === ref);
}
