export * from "./primitives";
export * from "./serverProperties";
export * from "./servers";
export * from "./hosts";
export * from "./apiTokens";
export * from "./console";
export * from "./schedules";
