/**
 * Named errors with stable codes. The codes are part of the public API
 * (`{ "error": "<code>", "message": ... }`); HTTP statuses are assigned to
 * them in exactly one place, apps/control-plane/src/http/errorStatus.ts.
 */
export abstract class ZlhError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One field's problem, as a validation error lists it: `body.command`, `query.window`; the message without the field. */
export interface FieldProblem {
  field: string;
  message: string;
}

export class InvalidRequestError extends ZlhError {
  readonly code = "invalid_request";
  /** The fields at fault, when it is a refusal of fields: the reply's `problems`, as a schema's refusal lists them. */
  readonly problems?: readonly FieldProblem[];
  constructor(message: string, options?: ErrorOptions & { problems?: readonly FieldProblem[] }) {
    super(message, options);
    if (options?.problems) this.problems = options.problems;
  }
}
/** A body in a media type the route does not take (the API's error handler names the ones it does). */
export class UnsupportedMediaTypeError extends ZlhError {
  readonly code = "unsupported_media_type";
}
export class IdempotencyKeyMissingError extends ZlhError {
  readonly code = "idempotency_key_missing";
  constructor() {
    super("The Idempotency-Key header is required (1-255 printable ASCII characters).");
  }
}
export class IdempotencyKeyReusedError extends ZlhError {
  readonly code = "idempotency_key_reused";
  constructor() {
    super("This Idempotency-Key was already used with a different request body.");
  }
}
export class CapacityExhaustedError extends ZlhError {
  readonly code = "capacity_exhausted";
  constructor(readonly resource: "host" | "vmid" | "port" | "address") {
    super(
      resource === "host"
        ? "No host has enough free memory, CPU and disk for this server."
        : resource === "vmid"
          ? "No free VMID is left in the configured range."
          : resource === "address"
            ? "The chosen host has no free address left in its network range."
            : "The chosen host has fewer than two free ports left in the configured port range.",
    );
  }
}
export class ServerNotFoundError extends ZlhError {
  readonly code = "server_not_found";
  constructor(id: string) {
    super(`No server with id ${JSON.stringify(id)} exists.`);
  }
}
export class HostNotFoundError extends ZlhError {
  readonly code = "host_not_found";
  constructor(id: string) {
    super(`No host with id ${JSON.stringify(id)} is enrolled.`);
  }
}
export class DriftNotFoundError extends ZlhError {
  readonly code = "drift_not_found";
  constructor(id: string) {
    super(`No open drift item has id ${JSON.stringify(id)}.`);
  }
}
export class HostNotEmptyError extends ZlhError {
  readonly code = "host_not_empty";
  constructor(servers: number) {
    super(`The host still holds ${servers} server${servers === 1 ? "" : "s"}; delete or move them first (POST /v1/hosts/:id/drain lists them).`);
  }
}
export class HostNameTakenError extends ZlhError {
  readonly code = "host_name_taken";
  constructor(name: string) {
    super(`A host named ${JSON.stringify(name)} is already enrolled.`);
  }
}
export class InvalidCursorError extends ZlhError {
  readonly code = "invalid_cursor";
  constructor() {
    super("The cursor is not one this API returned.");
  }
}
export class CursorExpiredError extends ZlhError {
  readonly code = "cursor_expired";
  constructor() {
    super("Events after this cursor were deleted by retention (ZLH_EVENT_RETENTION_DAYS); read again from the start of the feed, or from=now.");
  }
}
export class UnauthorizedError extends ZlhError {
  readonly code = "unauthorized";
  constructor(message = "A valid bearer token is required.") {
    super(message);
  }
}
export class ApiTokenNotFoundError extends ZlhError {
  readonly code = "api_token_not_found";
  constructor(id: string) {
    super(`No live API token ${JSON.stringify(id)}.`);
  }
}
export class DowngradeRefusedError extends ZlhError {
  readonly code = "downgrade_refused";
  constructor(from: string, to: string) {
    super(`Going from Minecraft ${from} to ${to} is a downgrade (or cannot be told apart from one); worlds cannot be opened safely by an older game. Send "force": true to do it anyway.`);
  }
}
/** A setting the server's type has no use for: mods on vanilla, a loader version without a loader. */
export class NotSupportedByTypeError extends ZlhError {
  readonly code = "not_supported_by_type";
}
/** A Paper or Purpur build the caller pinned that its upstream does not list for the game (or that has no jar). */
export class UnknownBuildError extends ZlhError {
  readonly code = "unknown_build";
}
/** An upstream (PaperMC, Purpur) could not be asked right now (network, 5xx): worth retrying. */
export class UpstreamUnavailableError extends ZlhError {
  readonly code = "unavailable";
}
export class DiskShrinkRefusedError extends ZlhError {
  readonly code = "disk_shrink_refused";
  constructor(from: number, to: number) {
    super(`diskGiB cannot go down (from ${from} to ${to}): a container's disk can only grow.`);
  }
}
export class ChangeInProgressError extends ZlhError {
  readonly code = "change_in_progress";
  constructor() {
    super("A change of this server is still being resolved or applied; send the next one once it has ended.");
  }
}
export class ServerBusyError extends ZlhError {
  readonly code = "server_busy";
  constructor() {
    super("Something is already running on this server (a lifecycle step, a command, a backup or a restore); retry once it has ended.");
  }
}
export class BackupNotFoundError extends ZlhError {
  readonly code = "backup_not_found";
  constructor(id: string) {
    super(`No backup ${JSON.stringify(id)} of this server.`);
  }
}
export class CommandFailedError extends ZlhError {
  readonly code = "command_failed";
}
export class CommandTimeoutError extends ZlhError {
  readonly code = "command_timeout";
}
export class ForbiddenError extends ZlhError {
  readonly code = "forbidden";
}
export class RateLimitedError extends ZlhError {
  readonly code = "rate_limited";
  /** Seconds until asking again can succeed, sent as Retry-After (a route that sets the header itself leaves it out). */
  readonly retryAfterS?: number;
  constructor(message: string, opts: { retryAfterS?: number } = {}) {
    super(message);
    if (opts.retryAfterS !== undefined) this.retryAfterS = opts.retryAfterS;
  }
}
/** A restore into a server on another host than the backup's archive: archives are not moved between hosts. */
export class InvalidTransitionError extends ZlhError {
  readonly code = "invalid_transition";
}
export class ConfigError extends ZlhError {
  readonly code = "invalid_config";
  constructor(readonly variable: string, detail: string) {
    super(`${variable}: ${detail}`);
  }
}
export class EdgeNotConfiguredError extends ZlhError {
  readonly code = "edge_not_configured";
  constructor() {
    super("The edge has no zone (ZLH_EDGE_ZONE is not set), so servers have no names and there is nothing to route.");
  }
}
export class ScheduleNotFoundError extends ZlhError {
  readonly code = "schedule_not_found";
  constructor(id: string) {
    super(`No schedule ${JSON.stringify(id)} of this server.`);
  }
}
export class ScheduleLimitError extends ZlhError {
  readonly code = "schedule_limit";
  constructor(cap: number) {
    super(`The server has ${cap} schedules, the most it may have (ZLH_SCHEDULES_PER_SERVER); delete one first.`);
  }
}
export class ScheduleNameTakenError extends ZlhError {
  readonly code = "schedule_name_taken";
  constructor(name: string) {
    super(`The server already has a schedule named ${JSON.stringify(name)}.`);
  }
}
/** A `.mrpack` that is not a pack this platform can read safely (docs/modpacks.md): the message says why. */
export class ModpackInvalidError extends ZlhError {
  readonly code = "modpack_invalid";
}
/** A pack whose loader this platform does not provision (yet). */
export class ModpackLoaderUnsupportedError extends ZlhError {
  readonly code = "modpack_loader_unsupported";
}
export class ModpackNotFoundError extends ZlhError {
  readonly code = "modpack_not_found";
}
/** Modrinth could not be asked for the pack right now (network, 5xx): worth retrying. */
export class ModpackUnavailableError extends ZlhError {
  readonly code = "unavailable";
}
/** An upload that would take the customer's held uploads past ZLH_MODPACK_CUSTOMER_QUOTA_BYTES. */
export class ModpackQuotaExceededError extends ZlhError {
  readonly code = "modpack_quota_exceeded";
}
/** A delete of an upload one of the customer's live servers runs, asks for or could roll back to. */
export class ModpackInUseError extends ZlhError {
  readonly code = "modpack_in_use";
}
/** ZLH_MODPACK_UPLOAD_CONCURRENCY uploads are being received already: retry after Retry-After. */
export class TooManyUploadsError extends ZlhError {
  readonly code = "too_many_uploads";
}
/** An upload over ZLH_MODPACK_MAX_BYTES. */
export class ModpackTooLargeError extends ZlhError {
  readonly code = "payload_too_large";
}
/** An agent asked for a NeoForge installer-made file no server of its host uses. */
export class InstallerFileNotFoundError extends ZlhError {
  readonly code = "not_found";
}
/** GET /v1/operations/:id of an id no operation has (or had: a finished one past its retention is gone). */
export class OperationNotFoundError extends ZlhError {
  readonly code = "operation_not_found";
  constructor(id: string) {
    super(`No operation with id ${JSON.stringify(id)} exists.`);
  }
}
