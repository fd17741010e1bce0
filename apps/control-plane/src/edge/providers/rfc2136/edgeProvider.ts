import type { EdgeNaming } from "../../desiredEdge";
import { EdgeConfigError, EdgeProviderError, type EdgeProvider, type EdgeProviderFactory } from "../../provider";
import { Rfc2136Error } from "./errors";
import { Rfc2136ConfigError, rfc2136Provider } from "./provider";

/**
 * `kind: "rfc2136"` in ZLH_EDGE_PROVIDERS: `{server, keyName, keyAlgorithm?, keySecret | keySecretFile,
 * authZone?, timeoutMs?}`; `authZone` (the zone the DNS server holds, where the UPDATEs go) defaults to the
 * provider's zone and may be a parent of it. Listing is a zone transfer signed with the same
 * key (BIND: `allow-transfer { key "<keyName>"; };`).
 */
export const rfc2136Factory: EdgeProviderFactory = {
  kind: "rfc2136",
  create(name, settings, naming: EdgeNaming): EdgeProvider {
    const text = (field: string, fallback?: string): string => {
      const v = settings[field] ?? fallback;
      if (typeof v !== "string" || v.trim() === "") throw new EdgeConfigError(`edge provider ${name}: ${field} is required (a string).`);
      return v;
    };
    const timeoutMs = settings.timeoutMs;
    if (timeoutMs !== undefined && typeof timeoutMs !== "number") throw new EdgeConfigError(`edge provider ${name}: timeoutMs must be a number.`);
    const known = new Set(["server", "authZone", "keyName", "keyAlgorithm", "keySecret", "timeoutMs"]);
    const unknown = Object.keys(settings).filter((k) => !known.has(k));
    if (unknown.length > 0) throw new EdgeConfigError(`edge provider ${name}: unknown setting ${unknown.join(", ")} for kind rfc2136.`);
    // The names the provider makes are under its zone: a zone beside it could never hold them.
    const zone = text("authZone", naming.zone).trim().toLowerCase().replace(/\.$/, "");
    if (zone !== naming.zone && !naming.zone.endsWith(`.${zone}`)) throw new EdgeConfigError(`edge provider ${name}: authZone ${JSON.stringify(zone)} must be the provider's zone ${naming.zone} or a parent of it.`);
    let dns: ReturnType<typeof rfc2136Provider>;
    try {
      dns = rfc2136Provider({ server: text("server"), zone, keyName: text("keyName"), keyAlgorithm: text("keyAlgorithm", "hmac-sha256"), keySecret: text("keySecret"), timeoutMs });
    } catch (e) {
      if (e instanceof Rfc2136ConfigError) throw new EdgeConfigError(`edge provider ${name}: ${e.message}`);
      throw e;
    }
    const call = async <T>(work: () => Promise<T>): Promise<T> => {
      try {
        return await work();
      } catch (e) {
        if (e instanceof Rfc2136Error) throw new EdgeProviderError(e.code, `${name}: ${e.message}`);
        throw e;
      }
    };
    return {
      name,
      kind: "rfc2136",
      naming,
      publishes: "records",
      apply: (serverId, desired) => call(() => dns.apply(serverId, desired)),
      remove: (serverId, fqdn) => call(() => dns.remove(serverId, fqdn)),
      async read(fqdn) {
        const state = await call(() => dns.read(fqdn));
        if (state.owner === null && state.records.length === 0) return null;
        return { fqdn, owner: state.owner, records: state.records, route: null };
      },
      list: () => call(async () => (await dns.list()).map((s) => ({ fqdn: s.fqdn, owner: s.owner, records: s.records, route: null }))),
    };
  },
};
