import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Tokens are 32 random bytes, so a fast hash is enough to store them: there is
 * nothing to brute-force that a slow KDF would protect (unlike passwords).
 */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function newToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString("base64url")}`;
}

/**
 * Returns the hash of `presented` if it matches one of `knownHashes`.
 * Compares against every known hash, always, so the time taken does not tell
 * which token (or how much of one) matched.
 */
export function matchTokenHash(presented: string, knownHashes: readonly Buffer[]): string | null {
  const digest = createHash("sha256").update(presented).digest();
  let match: Buffer | null = null;
  for (const known of knownHashes) {
    if (timingSafeEqual(digest, known) && match === null) match = known;
  }
  return match ? match.toString("hex") : null;
}

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m?.[1] ?? null;
}

/** The cookie POST /v1/console/session sets: HttpOnly, so page scripts never see the token. */
export const CONSOLE_COOKIE = "zlh_console";

export function consoleCookie(header: string | undefined): string | null {
  for (const part of (header ?? "").split(";")) {
    const [name, value] = part.trim().split("=", 2);
    if (name === CONSOLE_COOKIE && value) return value;
  }
  return null;
}
