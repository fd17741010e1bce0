import type { EdgeNaming } from "../desiredEdge";
import { EdgeConfigError } from "../provider";

/**
 * Reads one ZLH_EDGE_PROVIDERS entry's settings for a factory: every refusal
 * is a sentence naming the provider and the field, and a secret's value is
 * never quoted (a typo in it must not end up in a log). An unknown field is
 * refused too: a misspelt optional setting would otherwise be ignored. The
 * error carries the refused field (EdgeConfigError.field).
 */
export interface SettingsReader {
  /** An http:// or https:// base URL without credentials, query or fragment; the trailing `/` dropped. */
  url(field: string): string;
  /** A required secret of at least `minLength` characters. */
  secret(field: string, minLength: number): string;
  text(field: string): string | null;
  /** Each request's deadline in ms (`timeoutMs`), 1-120000, `fallback` when left out. */
  timeoutMs(fallback: number): number;
  integer(field: string, fallback: number, min: number, max: number): number;
  fail(field: string, sentence: string): never;
}

export function readSettings(kind: string, name: string, settings: Record<string, unknown>, known: readonly string[]): SettingsReader {
  const who = `edge provider ${JSON.stringify(name)} (${kind})`;
  const fail = (field: string, sentence: string): never => {
    throw new EdgeConfigError(`${who}: ${field} ${sentence}`, field);
  };
  for (const field of Object.keys(settings)) {
    if (!known.includes(field)) fail(field, `is not a setting of ${kind}; the known ones are ${known.join(", ")}.`);
  }
  const string = (field: string): string | null => {
    const v = settings[field];
    if (v === undefined || v === null) return null;
    if (typeof v !== "string") return fail(field, "must be a string.");
    return v;
  };
  return {
    fail,
    text: string,
    url(field) {
      const raw = string(field);
      if (raw === null || raw.trim() === "") return fail(field, "is required: the API's base URL, such as http://10.0.0.5:5380.");
      let u: URL;
      try {
        u = new URL(raw.trim());
      } catch {
        return fail(field, `${JSON.stringify(raw)} is not a URL.`);
      }
      if (u.protocol !== "http:" && u.protocol !== "https:") fail(field, `must be an http:// or https:// URL, not ${u.protocol}.`);
      // Credentials in a URL end up in logs and error messages: they belong in the secret's own field.
      if (u.username || u.password) fail(field, "must not carry credentials (user:password@); the secret has a field of its own.");
      if (u.search || u.hash) fail(field, "must be a base URL, without a query or fragment.");
      return `${u.origin}${u.pathname.replace(/\/+$/, "")}`;
    },
    secret(field, minLength) {
      const v = string(field);
      if (v === null || v.length === 0) return fail(field, "is required.");
      if (v.length < minLength || v.trim() !== v) return fail(field, `must be at least ${minLength} characters, without leading or trailing spaces (the value is not shown).`);
      return v;
    },
    timeoutMs(fallback) {
      const v = settings.timeoutMs;
      if (v === undefined) return fallback;
      if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 120_000) return fail("timeoutMs", "must be an integer of 1-120000 ms.");
      return v;
    },
    integer(field, fallback, min, max) {
      const v = settings[field];
      if (v === undefined) return fallback;
      if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) return fail(field, `must be an integer of ${min}-${max}.`);
      return v;
    },
  };
}

/**
 * A DNS provider's `authZone`: the zone its server or account holds (where updates go), the provider's own
 * zone by default, else a parent of it; any other zone could never hold the provider's names.
 */
export function authZone(read: SettingsReader, naming: EdgeNaming): string {
  const text = read.text("authZone");
  if (text === null) return naming.zone;
  const zone = text.trim().toLowerCase().replace(/\.$/, "");
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(zone)) read.fail("authZone", `${JSON.stringify(text)} is not a DNS zone such as example.com.`);
  if (zone !== naming.zone && !naming.zone.endsWith(`.${zone}`)) read.fail("authZone", `${JSON.stringify(text)} must be the provider's zone ${naming.zone} or a parent of it.`);
  return zone;
}
