/**
 * The cursor after a keyset page (cursor.ts): its last item's, when more
 * rows came after the page (`more`), else null (the last page).
 */
export function nextCursorOf<T>(page: readonly T[], more: boolean, cursorOf: (last: T) => string): string | null {
  const last = page.at(-1);
  return more && last !== undefined ? cursorOf(last) : null;
}

/**
 * A page of a list read one row past `limit` (that row only says a next
 * page exists): at most `limit` rows, and the cursor after them.
 */
export function keysetPage<T>(rows: readonly T[], limit: number, cursorOf: (last: T) => string): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  return { page, nextCursor: nextCursorOf(page, rows.length > limit, cursorOf) };
}
