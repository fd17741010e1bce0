import Type from "typebox";
import { QueryInteger, Timestamp, Uuid } from "./primitives";

/**
 * The longest command vanilla's RCON accepts, in UTF-8 bytes: it reads one
 * packet of at most 1460 bytes, 14 of them framing, and drops the
 * connection for anything longer. JSON Schema counts characters, so the
 * route checks the bytes (commandBytes); no longer string can fit.
 */
export const MAX_COMMAND_BYTES = 1446;
export const commandBytes = (command: string): number => new TextEncoder().encode(command).length;

export const CommandBody = Type.Object(
  {
    command: Type.String({
      minLength: 1,
      maxLength: MAX_COMMAND_BYTES,
      // Printable text only: RCON carries one line; a newline or a control character has no place in it.
      pattern: "^[^\\u0000-\\u001f\\u007f]+$",
      description: "One console command, as typed at the server console (a leading / is fine), e.g. `list`, `say hello`, `save-all`; at most 1446 bytes in UTF-8 (vanilla's RCON limit).",
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

export const BackupList = Type.Object({ items: Type.Array(Backup) }, { title: "BackupList" });
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
