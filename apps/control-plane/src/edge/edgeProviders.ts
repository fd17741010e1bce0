import { readFileSync } from "node:fs";
import { isReportableIpv4 } from "@zlh/domain";
import type { EdgeNaming } from "./desiredEdge";
import { NamingError, parseZone } from "./naming";
import { EdgeConfigError, type EdgeProvider, type EdgeProviderFactory } from "./provider";

/**
 * ZLH_EDGE_PROVIDERS: a JSON array of `{name, kind, zone?, target?, ...settings}`, each made by its kind's
 * factory, side by side (an internal DNS, a public DNS and a proxy at once). `zone` and `target` are every
 * kind's (providerNaming below); the rest is the factory's. A setting `<field>File` is a path whose
 * contents (trailing newline removed) are `<field>`: secrets stay out of the environment. Every refusal is
 * one sentence naming the provider and field, never a secret's value.
 */
export function parseEdgeProviders(
  raw: string,
  naming: EdgeNaming,
  factories: readonly EdgeProviderFactory[],
  readFile = (p: string) => readFileSync(p, "utf8"),
  /** ZLH_EDGE_PORT: a target "edge" entry's port without ZLH_EDGE_ADDRESS set. */
  edgePort = 25565,
): EdgeProvider[] {
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
    const { name, kind, zone, target, edgeAddress, edgePort: entryPort, ...settings } = entry as Record<string, unknown>;
    if (typeof name !== "string" || !/^[a-z0-9][a-z0-9-]{0,39}$/.test(name)) throw new EdgeConfigError(`entry ${i}: name must be 1-40 lowercase letters, digits or '-'.`);
    if (names.has(name)) throw new EdgeConfigError(`two providers are named ${name}.`);
    names.add(name);
    const factory = factories.find((f) => f.kind === kind);
    if (!factory) throw new EdgeConfigError(`edge provider ${name}: kind ${JSON.stringify(kind)} is not one of ${factories.map((f) => f.kind).join(", ")}.`);
    const own = providerNaming(`edge provider ${JSON.stringify(name)} (${String(kind)})`, { zone, target, edgeAddress, edgePort: entryPort }, naming, edgePort);
    const provider = factory.create(name, withFiles(name, settings, readFile), own);
    if (provider.publishes === "route" && target !== undefined) {
      throw new EdgeConfigError(`edge provider ${JSON.stringify(name)} (${String(kind)}): target does not apply: a proxy routes each name to the server's own address and game port.`);
    }
    return provider;
  });
}

/**
 * One provider's zone and target, defaulting to the global ones (ZLH_EDGE_ZONE; ZLH_EDGE_ADDRESS and
 * ZLH_EDGE_PORT when set), so an entry without them means what it always did:
 * - `zone`: the zone its names are made under (`mc-fabric-5013.<zone>`);
 * - `target`: `"server"`, records point at the server's recorded address and game port (an internal DNS), or
 *   `"edge"`, at the edge's address and port (a public DNS in front of a proxy): `edgeAddress` and `edgePort`,
 *   else ZLH_EDGE_ADDRESS and ZLH_EDGE_PORT.
 */
function providerNaming(who: string, e: { zone: unknown; target: unknown; edgeAddress: unknown; edgePort: unknown }, global: EdgeNaming, globalPort: number): EdgeNaming {
  let zone = global.zone;
  if (e.zone !== undefined) {
    if (typeof e.zone !== "string") throw new EdgeConfigError(`${who}: zone must be a string, such as internal.example.com.`);
    try {
      zone = parseZone(e.zone);
    } catch (err) {
      throw new EdgeConfigError(`${who}: zone ${JSON.stringify(e.zone)} ${err instanceof NamingError ? err.message : "is not a zone."}`);
    }
  }
  if (e.target !== undefined && e.target !== "server" && e.target !== "edge") throw new EdgeConfigError(`${who}: target must be "server" (the server's own address and game port) or "edge" (the edge's address and port).`);
  const target = e.target ?? (global.edge ? "edge" : "server");
  if (target === "server") {
    if (e.edgeAddress !== undefined || e.edgePort !== undefined) throw new EdgeConfigError(`${who}: edgeAddress and edgePort go with target "edge".`);
    return { ...global, zone, edge: null };
  }
  if (e.edgeAddress !== undefined && (typeof e.edgeAddress !== "string" || !isReportableIpv4(e.edgeAddress))) throw new EdgeConfigError(`${who}: edgeAddress must be a unicast IPv4 address (the edge proxy's).`);
  if (e.edgePort !== undefined && (typeof e.edgePort !== "number" || !Number.isInteger(e.edgePort) || e.edgePort < 1 || e.edgePort > 65535)) throw new EdgeConfigError(`${who}: edgePort must be a port, 1-65535.`);
  const address = (e.edgeAddress as string | undefined) ?? global.edge?.address;
  if (address === undefined) throw new EdgeConfigError(`${who}: target "edge" needs edgeAddress (or ZLH_EDGE_ADDRESS): the address players reach the edge proxy at.`);
  const port = (e.edgePort as number | undefined) ?? global.edge?.port ?? globalPort;
  return { ...global, zone, edge: { address, port } };
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
