export * from "./messages";
export * from "./codec";

/** Marker written into a container's description: names the server it belongs to. */
export const MARKER_PREFIX = "zlh-server=";
export function markerFor(serverId: string): string {
  return `${MARKER_PREFIX}${serverId}`;
}
/** The server id a description names, or null when it is not ours. */
export function serverIdFromMarker(description: string | null | undefined): string | null {
  const m = /(?:^|\s)zlh-server=([0-9a-f-]{36})(?:\s|$)/.exec(description ?? "");
  return m?.[1] ?? null;
}
