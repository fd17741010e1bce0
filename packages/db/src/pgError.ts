/**
 * The SQLSTATE of a Postgres error, whether postgres.js threw it directly or
 * drizzle wrapped it (DrizzleQueryError keeps the driver's error as `cause`).
 */
export function pgErrorCode(err: unknown): string | undefined {
  for (let e: unknown = err; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}
