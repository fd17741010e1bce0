import { createHash } from "node:crypto";
import stringify from "safe-stable-stringify";
import type { CreateServerBody } from "@zlh/api";

/**
 * Fingerprint of a create request, to tell a replay (same key, same body) from
 * a reused key (same key, different body). Canonical JSON, so key order and
 * whitespace do not make two equal requests look different.
 */
export function requestHash(body: CreateServerBody | Record<string, unknown>): string {
  return createHash("sha256").update(stringify(body) ?? "").digest("hex");
}
