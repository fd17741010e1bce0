export * from "./layout";
export * from "./jars";
export * from "./launcherDecision";
export * from "./installFiles";
