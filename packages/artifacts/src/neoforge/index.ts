export * from "./versions";
export * from "./installProfile";
