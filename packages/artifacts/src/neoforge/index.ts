export * from "./versions";
export * from "./installProfile";
export * from "./launchDecision";
