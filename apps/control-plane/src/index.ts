export { startControlPlane, type ControlPlane } from "./controlPlane";
export { loadConfig, type ControlPlaneConfig } from "./config";
export { createLogger } from "./logger";
