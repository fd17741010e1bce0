import type { GuestFiles } from "../../src/guest/guestFiles";

/** What each `list` answered: how many names, and whether it said there were no more. */
export interface ListingReply {
  path: string;
  names: number;
  complete: boolean;
}

/**
 * `guest` as its callers see it, every listing it answers recorded (the real
 * worker's answers, passed on unchanged): how a test sees that a caller never
 * asked for, nor got, a directory whole.
 */
export function recordListings(guest: GuestFiles): { guest: GuestFiles; replies: ListingReply[] } {
  const replies: ListingReply[] = [];
  const recorded = new Proxy(guest, {
    get(target, prop) {
      if (prop === "list") {
        return async (path: string, maxEntries: number) => {
          const r = await target.list(path, maxEntries);
          if (r) replies.push({ path, names: r.names.length, complete: r.complete });
          return r;
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { guest: recorded, replies };
}
