import Type, { type Static } from "typebox";
import { OPERATION_KINDS, OPERATION_STATUSES } from "@zlh/domain";
import { Timestamp, Uuid } from "./primitives";

/** The most of an operation's result (the agent's report, as stored) GET /v1/operations/:id answers, in bytes of JSON. */
export const MAX_OPERATION_RESULT_BYTES = 8192;

/** The most characters of an operation's failure reason answered. */
export const MAX_OPERATION_ERROR_CHARS = 2000;

export const OperationParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

/** `GET /v1/operations/:id`: one operation (what a lifecycle, backup or restore answer named), as stored. */
export const Operation = Type.Object(
  {
    id: Uuid,
    kind: Type.Enum(OPERATION_KINDS, { title: "OperationKind" }),
    status: Type.Enum(OPERATION_STATUSES, { title: "OperationStatus" }),
    serverId: Uuid,
    hostId: Uuid,
    generation: Type.Integer({ description: "The server's generation it was planned for (a task's is below zero: its own)." }),
    attempt: Type.Integer({ minimum: 0, description: "Leases taken so far." }),
    maxAttempts: Type.Integer({ minimum: 0 }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    leaseExpiresAt: Type.Union([Timestamp, Type.Null()], { description: "While leased: when the lease runs out unless renewed." }),
    error: Type.Union([Type.String({ maxLength: MAX_OPERATION_ERROR_CHARS }), Type.Null()], { description: "Why it failed (its last attempt's reason), at most 2000 characters." }),
    result: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
      description:
        "What the agent reported when it ended, as stored; null while it runs, for a console command or log read (their answers are the console routes', under the panel scope), and when its JSON is over 8192 bytes (resultOmitted).",
    }),
    resultOmitted: Type.Boolean({ description: "True when a result exists but is not answered here (too large, or console output)." }),
  },
  { title: "Operation" },
);
export type Operation = Static<typeof Operation>;
