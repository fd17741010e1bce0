/** Host work units. One live operation per (server, generation, kind), enforced by a unique index. */
export const OPERATION_KINDS = ["provision", "start", "stop", "restart", "destroy"] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

export const OPERATION_STATUSES = ["queued", "leased", "succeeded", "failed", "cancelled"] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

export const LIVE_OPERATION_STATUSES: readonly OperationStatus[] = ["queued", "leased"];
