export * from "./embeddedPostgres";
export * from "./databases";
export * from "./testDatabase";
import "./provided";
export * from "./fixtureManifest";
