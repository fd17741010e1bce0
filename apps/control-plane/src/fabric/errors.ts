/**
 * A request that can never resolve as asked (unknown version, client-only or
 * incompatible mod): the server fails at once with this message. Anything
 * else (network, 5xx) is retried by the job with backoff.
 */
export class ResolutionError extends Error {
  readonly code = "manifest_unresolvable";
  constructor(message: string) {
    super(message);
    this.name = "ResolutionError";
  }
}

