/**
 * Host work units. Lifecycle operations move a server toward its desired
 * state: one per (server, generation, kind), enforced by a unique index.
 * Task operations (a console command, a backup, a restore) are asked for one
 * by one, each with a subject id of its own, and run only while nothing else
 * runs on the server.
 */
export const LIFECYCLE_KINDS = ["provision", "start", "stop", "restart", "destroy"] as const;
export const TASK_KINDS = ["command", "backup", "restore", "backup_delete", "logs", "backup_read"] as const;
export const OPERATION_KINDS = [...LIFECYCLE_KINDS, ...TASK_KINDS] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];
export type TaskKind = (typeof TASK_KINDS)[number];

/**
 * Reads that change nothing (the console's log): they run beside anything
 * else, are not counted as in flight, and leave no events (a panel's log
 * view polls every second).
 */
export const READ_ONLY_KINDS: readonly OperationKind[] = ["logs", "backup_read"];

export const OPERATION_STATUSES = ["queued", "leased", "succeeded", "failed", "cancelled"] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

export const LIVE_OPERATION_STATUSES: readonly OperationStatus[] = ["queued", "leased"];
