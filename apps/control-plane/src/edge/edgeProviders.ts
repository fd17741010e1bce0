import { readFileSync } from "node:fs";
import type { EdgeNaming } from "./desiredEdge";
import { EdgeConfigError, type EdgeProvider, type EdgeProviderFactory } from "./provider";

/**
 * ZLH_EDGE_PROVIDERS: a JSON array of `{name, kind, ...settings}`, each made by its kind's factory, side
 * by side (an internal DNS, a public DNS and a proxy at once). A setting `<field>File` is a path whose
 * contents (trailing newline removed) are `<field>`: secrets stay out of the environment. Every refusal is
 * one sentence naming the provider and field, never a secret's value.
 */
export function parseEdgeProviders(raw: string, naming: EdgeNaming, factories: readonly EdgeProviderFactory[], readFile = (p: string) => readFileSync(p, "utf8")): EdgeProvider[] {
  let entries: unknown;
  try {
    entries = JSON.parse(raw);
  } catch {
    throw new EdgeConfigError("is not JSON (a JSON array of {name, kind, ...settings}).");
  }
  if (!Array.isArray(entries)) throw new EdgeConfigError("must be a JSON array of {name, kind, ...settings}.");
  const names = new Set<string>();
  return entries.map((entry, i) => {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw new EdgeConfigError(`entry ${i} is not an object.`);
    const { name, kind, ...settings } = entry as Record<string, unknown>;
    if (typeof name !== "string" || !/^[a-z0-9][a-z0-9-]{0,39}$/.test(name)) throw new EdgeConfigError(`entry ${i}: name must be 1-40 lowercase letters, digits or '-'.`);
    if (names.has(name)) throw new EdgeConfigError(`two providers are named ${name}.`);
    names.add(name);
    const factory = factories.find((f) => f.kind === kind);
    if (!factory) throw new EdgeConfigError(`edge provider ${name}: kind ${JSON.stringify(kind)} is not one of ${factories.map((f) => f.kind).join(", ")}.`);
    return factory.create(name, withFiles(name, settings, readFile), naming);
  });
}

function withFiles(provider: string, settings: Record<string, unknown>, readFile: (p: string) => string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (!key.endsWith("File") || key.length === 4) {
      out[key] = value;
      continue;
    }
    const field = key.slice(0, -4);
    if (field in settings) throw new EdgeConfigError(`edge provider ${provider}: give ${field} or ${key}, not both.`);
    if (typeof value !== "string") throw new EdgeConfigError(`edge provider ${provider}: ${key} must be a path.`);
    try {
      out[field] = readFile(value).replace(/\r?\n$/, "");
    } catch (e) {
      throw new EdgeConfigError(`edge provider ${provider}: ${key} ${value} cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"}).`);
    }
  }
  return out;
}
