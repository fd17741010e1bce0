/**
 * The CLI's exit codes (docs/cli.md): a script tells "not there" from "busy" from "refused" without reading stderr.
 * One table; every failure the CLI reports is a CliError carrying one of these.
 */
export const EXIT = {
  ok: 0,
  /** The API refused or failed the request (400, 422, 5xx, anything without a code of its own). */
  apiError: 1,
  /** Bad flags or arguments, or no configuration to reach a control plane with. */
  usage: 2,
  /** 404: the server, backup, host or token does not exist. */
  notFound: 3,
  /** 409: the request conflicts with the current state (busy, invalid transition, capacity, change in progress). */
  conflict: 4,
  /** 401 or 403: no token, a wrong or revoked one, or a scope too small. */
  auth: 5,
  /** The control plane could not be reached (connection, TLS, timeout), or stayed 429/503 through every retry. */
  unavailable: 6,
  /** What the command waited for did not happen: the server failed, a change rolled back, the wait timed out. */
  waitFailed: 7,
  /** Interrupted (SIGINT/SIGTERM) while waiting for an outcome; what was asked stays asked. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

/** The exit code for an HTTP status the API answered with. */
export function exitForStatus(status: number): ExitCode {
  if (status === 404) return EXIT.notFound;
  if (status === 409) return EXIT.conflict;
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 429 || status === 503) return EXIT.unavailable;
  return EXIT.apiError;
}
