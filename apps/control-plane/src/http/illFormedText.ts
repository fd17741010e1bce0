/** Half of a surrogate pair, alone (`\ud800` in JSON): not a character; Postgres refuses it in jsonb and makes U+FFFD of it in text. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Where a decoded request value (a JSON body, keys included; a query string;
 * path parameters) holds a string that is not well-formed Unicode, as a path
 * (`body/serverProperties/motd`), or null. Such a string must be refused
 * before anything is written: stored, it failed the request (500) or, as
 * U+FFFD, became another value (two customer ids differing only by it would
 * be one customer).
 */
export function illFormedAt(value: unknown, path: string): string | null {
  if (typeof value === "string") return LONE_SURROGATE.test(value) ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const at = illFormedAt(value[i], `${path}/${i}`);
      if (at) return at;
    }
    return null;
  }
  if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      if (LONE_SURROGATE.test(key)) return `${path} (the key ${JSON.stringify(key)})`;
      const at = illFormedAt(item, `${path}/${key}`);
      if (at) return at;
    }
  }
  return null;
}

/** The refusal's sentence for what illFormedAt found. */
export const illFormedMessage = (at: string): string => `${at} is not well-formed Unicode: it holds half of a surrogate pair (such as \\ud800) alone.`;
