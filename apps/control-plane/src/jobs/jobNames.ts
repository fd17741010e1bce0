export { PROVISION_JOB } from "@zlh/db";
export const RECONCILE_ALL_JOB = "reconcile.all";
export const RECONCILE_HOST_JOB = "reconcile.host";
/** Restarts a crashed server when its crash-loop backoff ends (one pending run per server). */
export const HEAL_JOB = "server.heal";
export const healJobKey = (serverId: string) => `heal:${serverId}`;
/** The incremental edge pass and the periodic audit of each provider (docs/design/edge.md); one pending run each. */
export const EDGE_PASS_JOB = "edge.pass";
export const EDGE_AUDIT_JOB = "edge.audit";
/** Resolves the manifest a change (PATCH) asks for; one pending run per server. */
export const RESOLVE_CHANGE_JOB = "server.resolve_change";
export const changeJobKey = (serverId: string) => `change:${serverId}`;
/** Removes uploaded packs no live server uses, past ZLH_MODPACK_RETENTION_DAYS (docs/modpacks.md); one pending run. */
export const MODPACK_SWEEP_JOB = "modpacks.sweep";
/** Removes NeoForge installs no live server uses, past ZLH_NEOFORGE_RETENTION_DAYS (docs/operations.md); one pending run. */
export const NEOFORGE_SWEEP_JOB = "neoforge.sweep";
/** Deletes events, finished operations and schedule runs past their retention (docs/operations.md); one pending run. */
export const RETENTION_SWEEP_JOB = "retention.sweep";
