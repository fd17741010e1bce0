export { startControlPlane, type ControlPlane, type StartOptions } from "./controlPlane";
export { loadConfig, type ControlPlaneConfig } from "./config";
export { createLogger } from "./logger";
export { describeApi } from "./describeApi";
