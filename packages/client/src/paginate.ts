import { errorOf } from "./errors";

interface Page<T> {
  items: T[];
  nextCursor: string | null;
  /** The event feed's: false when no more events are there yet. */
  hasMore?: boolean;
}

/**
 * Every item of a paged list, a page at a time: `fetchPage` is called with
 * the previous page's nextCursor (undefined for the first) until a page says
 * there is no next (nextCursor null, or hasMore false). A failed page throws
 * ZlhApiError.
 */
export async function* paginate<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ data?: Page<T>; error?: unknown; response: Response }>,
): AsyncGenerator<T> {
  let cursor: string | undefined;
  for (;;) {
    const { data, error, response } = await fetchPage(cursor);
    if (!data) throw await errorOf(response, error);
    yield* data.items;
    if (data.nextCursor === null || data.hasMore === false || data.nextCursor === cursor) return;
    cursor = data.nextCursor;
  }
}
