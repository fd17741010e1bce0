export * from "./messages";
export * from "./codec";

/** Marker written into a container's description: names the server it belongs to. */
export const MARKER_PREFIX = "zlh-server=";
export function markerFor(serverId: string): string {
  return `${MARKER_PREFIX}${serverId}`;
}
/** The server id a description names, or null when it is not ours. */
export function serverIdFromMarker(description: string | null | undefined): string | null {
  // A real UUID only: anything else that looks like one must never reach a `::uuid` cast.
  const m = /(?:^|\s)zlh-server=([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:\s|$)/i.exec(description ?? "");
  return m?.[1]?.toLowerCase() ?? null;
}
export { inventoryDigest } from "./inventoryDigest";
export { allocatedAddress, net0Value } from "./specNetwork";
