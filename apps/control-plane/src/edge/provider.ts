import type { DesiredEdge, EdgeNaming, EdgeRecord } from "./desiredEdge";

export type EdgePublishes = "records" | "route" | "both";

/** What a provider holds for one name, as it reports it (evidence, never truth). */
export interface ObservedName {
  fqdn: string;
  /**
   * The server id in the platform's ownership mark, or null: a name the platform does not own (edge drift, never touched).
   * A provider that can hold no mark (a proxy's route list) owns by the naming scheme and reports NAMED_OWNER instead of an id.
   */
  owner: string | null;
  /** DNS providers: the name's A and SRV records, in desiredEdge's shape so the two compare directly. */
  records: EdgeRecord[];
  /** Proxies: where the provider routes a player asking for `fqdn`. */
  route: { address: string; port: number } | null;
}

/**
 * The owner a provider reports for a name it can only tell is the platform's
 * by its shape (Velocity, mc-router: a route list holds a name and a backend,
 * nothing else): the name fits the naming template under the zone, so it is
 * ours, and the database says whose. Never a server id (ids are UUIDs).
 */
export const NAMED_OWNER = "*";

/**
 * One configured place the edge is published to (a DNS zone, a proxy's route
 * list). Every call is idempotent and bounded by `signal`; a failure throws
 * an EdgeProviderError whose code becomes `reachable=false`'s reason.
 */
export interface EdgeProvider {
  /** The configured instance name, unique among providers (`internal-dns`, `public-dns`, `velocity`). */
  readonly name: string;
  /** The integration: `rfc2136`, `technitium`, `cloudflare`, `velocity`, `mc-router`, `webhook`. */
  readonly kind: string;
  /** True for a provider that cannot be read back (the webhook): a successful apply or remove is its only evidence. */
  readonly pushOnly?: boolean;
  /**
   * This provider's zone and target (its entry's `zone` and `target`, else ZLH_EDGE_ZONE and ZLH_EDGE_ADDRESS):
   * an internal DNS names servers under its zone at their own addresses while a public one points at the edge.
   */
  readonly naming: EdgeNaming;
  /** What of a server's edge it holds: DNS records, a proxy's route, or both (the webhook is told everything). */
  readonly publishes: EdgePublishes;
  /** Makes the provider hold exactly `desired` for `desired.fqdn`, marked as `serverId`'s. A name someone else holds: `not_owner`, untouched. */
  apply(serverId: string, desired: DesiredEdge, signal: AbortSignal): Promise<void>;
  /** Removes what `serverId` holds at `fqdn`; `absent` when nothing was there. Never touches a name that is not ours. */
  remove(serverId: string, fqdn: string, signal: AbortSignal): Promise<"removed" | "absent">;
  /** One name read back (the verifying lookup); null when the provider holds nothing for it. */
  read(fqdn: string, signal: AbortSignal): Promise<ObservedName | null>;
  /** Every name the provider holds in its zone or route list, ours or not; null for a push-only provider that cannot be read (the webhook). */
  list(signal: AbortSignal): Promise<ObservedName[] | null>;
}

/** Why a provider call failed: `code` is the machine reason (`timeout`, `unreachable`, `unauthorized`, `not_owner`, ...), the message a sentence naming the provider and never quoting a secret. */
export class EdgeProviderError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "EdgeProviderError";
  }
}

/**
 * A provider's settings refused at start: the sentence names the provider and the field, never the secret.
 * `field` is the refused setting when one setting is to blame (readSettings sets it), so a caller can tell
 * which of its own variables to name without reading the sentence.
 */
export class EdgeConfigError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** How one kind of provider is made from its entry in ZLH_EDGE_PROVIDERS. */
export interface EdgeProviderFactory {
  kind: string;
  /** Checks `settings` (everything in the entry but `name` and `kind`) and makes the provider; throws EdgeConfigError. */
  create(name: string, settings: Record<string, unknown>, naming: EdgeNaming): EdgeProvider;
}
