import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** What an incoming X-Request-ID may be to be kept: short, printable, no spaces (it lands in logs and a header). */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/**
 * Fastify's genReqId: the caller's X-Request-ID when it is sane (a proxy's
 * or a panel's id, so one request is followed across systems), else a new
 * UUID. Every log line of the request carries it as `requestId`, and the
 * response's `x-request-id` header says it (plugins/httpShape.ts).
 */
export function requestId(req: IncomingMessage): string {
  const given = req.headers["x-request-id"];
  return typeof given === "string" && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}
