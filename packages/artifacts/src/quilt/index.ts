export * from "./layout";
export * from "./installFiles";
export * from "./launcherDecision";
