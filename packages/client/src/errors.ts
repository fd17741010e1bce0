import type { components } from "./schema";

export type ErrorBody = components["schemas"]["Error"];

/** An answer that was not a success: its status and the API's `{ error, message }`. */
export class ZlhApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(`${status} ${body.error}: ${body.message}`);
    this.name = "ZlhApiError";
  }
  get code() {
    return this.body.error;
  }
}

/** The body of a failed answer as the API's error, or one made from the status when it is not JSON. */
export async function errorOf(res: Response, parsed?: unknown): Promise<ZlhApiError> {
  const body = parsed ?? (await res.json().catch(() => undefined));
  const ok = typeof body === "object" && body !== null && "error" in body && "message" in body;
  return new ZlhApiError(res.status, ok ? (body as ErrorBody) : { error: "internal_error", message: `The control plane answered ${res.status} without an error body.` });
}
