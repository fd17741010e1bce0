import Type from "typebox";
import { COMMAND_PATTERN, MAX_COMMAND_BYTES } from "@zlh/domain";
import { QueryInteger, Timestamp, Uuid } from "./primitives";

export const CommandBody = Type.Object(
  {
    command: Type.String({
      minLength: 1,
      // Characters, as JSON Schema counts; the route counts the bytes (commandBytes).
      maxLength: MAX_COMMAND_BYTES,
      pattern: COMMAND_PATTERN,
      description: `One console command, as typed at the server console (a leading / is fine), e.g. \`list\`, \`say hello\`, \`save-all\`; at most ${MAX_COMMAND_BYTES} bytes in UTF-8 (vanilla's RCON limit).`,
    }),
  },
  { additionalProperties: false, title: "CommandBody" },
);

export const CommandReply = Type.Object({ reply: Type.String({ description: "The server's answer, as RCON returns it." }) }, { title: "CommandReply" });

export const Backup = Type.Object({
  id: Uuid,
  status: Type.Enum(["pending", "running", "completed", "failed"], { title: "BackupStatus" }),
  sizeBytes: Type.Union([Type.Integer(), Type.Null()]),
  sha256: Type.Union([Type.String(), Type.Null()], { description: "Of the archive, as measured on the host after writing; a restore checks it first." }),
  manifestHash: Type.Union([Type.String(), Type.Null()], { description: "The manifest the server had applied when the backup was asked for." }),
  error: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  completedAt: Type.Union([Timestamp, Type.Null()]),
}, { title: "Backup" });

export const BackupList = Type.Object({ items: Type.Array(Backup), nextCursor: Type.Union([Type.String(), Type.Null()]) }, { title: "BackupList" });

/** A page of a server's list (backups, changes): newest first. */
export const ServerPageQuery = Type.Object(
  {
    limit: Type.Optional(QueryInteger(1, 500, "How many items a page holds: 1-500, default 50.")),
    cursor: Type.Optional(Type.String({ maxLength: 128 })),
  },
  { additionalProperties: false },
);

/** One change (PATCH) of a server: where it is or how it ended. */
export const ServerChange = Type.Object(
  {
    generation: Type.Integer({ description: "The generation the change made; changes are listed by it, newest first." }),
    status: Type.Union([Type.Literal("resolving"), Type.Literal("applying"), Type.Literal("applied"), Type.Literal("rolled_back"), Type.Literal("failed")]),
    reason: Type.Union([Type.String(), Type.Null()], { description: "Why it rolled back or failed (and what was kept, if anything)." }),
    changes: Type.Record(Type.String(), Type.Object({ from: Type.Unknown(), to: Type.Unknown() }), { description: "Each changed setting, with its value before and the one asked." }),
    requestedAt: Timestamp,
    endedAt: Type.Union([Timestamp, Type.Null()], { description: "Null while it is in progress." }),
  },
  { title: "ServerChange" },
);

export const ServerChangeList = Type.Object({ items: Type.Array(ServerChange), nextCursor: Type.Union([Type.String(), Type.Null()]) }, { title: "ServerChangeList" });

/** A task the server's host runs later (a restore): what 202 answers with; its end shows as events (`server.restored`, `server.restore_failed`) naming its id. */
export const TaskOperation = Type.Object(
  {
    id: Uuid,
    kind: Type.Literal("restore"),
    status: Type.Union([Type.Literal("queued"), Type.Literal("leased"), Type.Literal("succeeded"), Type.Literal("failed"), Type.Literal("cancelled")]),
    serverId: Uuid,
    backupId: Uuid,
  },
  { title: "TaskOperation" },
);

/** `POST /v1/servers/:id/restore`: the backup to restore into this server (of this server, or another of the same customer on the same host). */
export const RestoreBody = Type.Object({ backupId: Type.String({ maxLength: 64 }) }, { additionalProperties: false, title: "RestoreBody" });

/** An optional Idempotency-Key on a write a client may retry (a backup, a restore, start/stop/restart, a console command, a schedule): a retry with the same key and request answers as the first did, and queues nothing more. */
export const OptionalIdempotencyKeyHeader = Type.Object({
  "idempotency-key": Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: "^[\\x20-\\x7E]+$",
      description: "Optional. 1-255 printable ASCII characters; a retry with the same key and request answers as the first did and does nothing more; another request with the key is 422 idempotency_key_reused.",
    }),
  ),
});
export const BackupParams = Type.Object({ id: Type.String({ maxLength: 64 }), backupId: Type.String({ maxLength: 64 }) });

export const LogsQuery = Type.Object(
  {
    tail: Type.Optional(QueryInteger(0, 1000, "How many of the last lines: 0-1000, default 100.")),
  },
  { additionalProperties: false },
);

export const LogLines = Type.Object({
  lines: Type.Array(Type.String()),
  offset: Type.Integer({ description: "Where the log's next read starts (the stream's event id)." }),
}, { title: "LogLines" });

export const ConsoleTokenParams = Type.Object({ id: Type.String({ maxLength: 64 }), tokenId: Type.String({ maxLength: 64 }) });
export const ConsoleToken = Type.Object(
  {
    id: Uuid,
    token: Type.String({ description: "Shown once; only its hash is stored. Opens this server's log (read, stream) and commands, nothing else." }),
    expiresAt: Timestamp,
  },
  { title: "ConsoleToken" },
);
export const ConsoleSessionBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 200, description: "A console token (from POST /v1/servers/{id}/console-tokens)." }) },
  { additionalProperties: false, title: "ConsoleSessionBody" },
);
export const ConsoleSession = Type.Object({ serverId: Uuid, expiresAt: Timestamp }, { title: "ConsoleSession" });
export const RevokedConsoleToken = Type.Object({ id: Uuid, revokedAt: Timestamp }, { title: "RevokedConsoleToken" });
