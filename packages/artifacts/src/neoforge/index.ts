export * from "./versions";
export * from "./installProfile";
export * from "./launchDecision";
export * from "./installerFile";
export * from "./offlineMappings";
