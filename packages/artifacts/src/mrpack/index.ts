export * from "./boundedZip";
export * from "./packPaths";
export * from "./readPack";
export * from "./packEntry";
export * from "./uploadedPack";
export * from "./packContents";
