export * from "./manifest";
export * from "./mirrorPath";
export * from "./source";
export * from "./mirror";
export * from "./upstream";
export * from "./createSource";
export * from "./hashes";
