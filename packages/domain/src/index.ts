export * from "./serverStatus";
export * from "./operations";
export * from "./errors";
export * from "./ranges";
export * from "./planner";
export * from "./random";
export * from "./env";
export * from "./crashLoop";
