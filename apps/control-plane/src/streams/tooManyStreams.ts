import { ZlhError } from "@zlh/domain";

/** A client (or a server's console) already has as many streams open as it may: 429 too_many_streams. */
export class TooManyStreamsError extends ZlhError {
  readonly code = "too_many_streams";
}
