import type { Api } from "./api";

type Page<T> = { items: T[]; nextCursor: string | null };

/** Every item of a paged list (at most `max`), a page at a time; a failed page throws as Api.call does. */
export async function listAll<T>(
  api: Api,
  fetchPage: (cursor: string | undefined) => Promise<{ data?: Page<T>; error?: unknown; response: Response }>,
  max = 5000,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.call(fetchPage(cursor));
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && items.length < max);
  return items;
}
