export { createZlhClient, type ZlhClient, type ZlhClientOptions } from "./client";
export { ZlhApiError } from "./errors";
export type { Event, FollowOptions } from "./events";
export type { RetryOptions } from "./retry";
export type { components, operations, paths } from "./schema";

import type { components } from "./schema";
type Schemas = components["schemas"];
/** The API's shapes by their OpenAPI names, for a panel's own code. */
/** @public */
export type Server = Schemas["Server"];
/** @public */
export type ServerStatus = Schemas["ServerStatus"];
/** @public */
export type EventType = Schemas["EventType"];
/** @public */
export type ErrorCode = Schemas["ErrorCode"];
/** @public */
export type Backup = Schemas["Backup"];
/** @public */
export type Host = Schemas["Host"];
