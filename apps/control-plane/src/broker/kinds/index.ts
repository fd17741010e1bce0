import type { OperationKind } from "@zlh/domain";
import type { OperationDefinition } from "./definition";
import { destroy, provision, restart, start, stop } from "./lifecycle";
import { backup, backupDelete, backupRead, command, logs, restore } from "./tasks";

export type { BackupRetention, EffectOptions, OperationDefinition } from "./definition";

/** Every operation kind's definition: a kind missing here does not compile. */
export const OPERATION_DEFINITIONS: Readonly<Record<OperationKind, OperationDefinition>> = {
  provision,
  start,
  stop,
  restart,
  destroy,
  command,
  backup,
  restore,
  backup_delete: backupDelete,
  logs,
  backup_read: backupRead,
};
