export { freePort } from "./embeddedPostgres";
export { spawnEmbeddedPostgres } from "./spawnEmbeddedPostgres";
export * from "./databases";
export * from "./testDatabase";
import "./provided";
export * from "./fixtureManifest";
export * from "./portRanges";
export * from "./postgresServer";
export * from "./apiClient";
