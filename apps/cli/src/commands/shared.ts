import { InvalidArgumentError, type Command } from "commander";
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

export type Page<T> = { items: T[]; nextCursor: string | null };

/** A list's page after `cursor` (`--limit`, `--cursor`), or with `all` every page from there on, followed to the end. */
export async function readPages<T>(page: (q: URLSearchParams) => Promise<Page<T>>, o: { limit?: number; cursor?: string; all?: boolean }): Promise<Page<T>> {
  const items: T[] = [];
  let cursor = o.cursor ?? null;
  let body: Page<T>;
  do {
    const q = new URLSearchParams();
    if (o.limit) q.set("limit", String(o.limit));
    if (cursor) q.set("cursor", cursor);
    body = await page(q);
    items.push(...body.items);
    cursor = body.nextCursor;
  } while (o.all && cursor);
  return o.all ? { items, nextCursor: null } : body;
}

/** The flags of a paged list: `--limit`, `--cursor`, `--all`. */
export function pageFlags(cmd: Command): Command {
  return cmd
    .option("--limit <n>", "a page of at most n (1-500)", intArg)
    .option("--cursor <cursor>", "the page after this cursor (a nextCursor)")
    .option("--all", "follow nextCursor to the end");
}
