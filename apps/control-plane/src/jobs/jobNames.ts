export { PROVISION_JOB } from "@zlh/db";
export const RECONCILE_ALL_JOB = "reconcile.all";
export const RECONCILE_HOST_JOB = "reconcile.host";
/** Restarts a crashed server when its crash-loop backoff ends (one pending run per server). */
export const HEAL_JOB = "server.heal";
export const healJobKey = (serverId: string) => `heal:${serverId}`;
export const EDGE_PUBLISH_JOB = "edge.publish";
export const EDGE_UNPUBLISH_JOB = "edge.unpublish";

/** Publish and unpublish of one server share a key: a queued one is replaced by the newer, so the latest intent wins. */
export const edgeJobKey = (serverId: string) => `edge:${serverId}`;
/** Resolves the manifest a change (PATCH) asks for; one pending run per server. */
export const RESOLVE_CHANGE_JOB = "server.resolve_change";
export const changeJobKey = (serverId: string) => `change:${serverId}`;
