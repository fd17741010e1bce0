import type { FastifyError, FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { ErrorObject } from "ajv";
import { isManagedPropertyKey, MAX_LISTED_PROBLEMS } from "@zlh/api";
import { IdempotencyKeyMissingError, InvalidRequestError, RateLimitedError, ZlhError } from "@zlh/domain";
import { httpStatusFor } from "../http/errorStatus";
import { describeValidation, validationSentence, type Problem } from "../http/validationMessages";
import { MODPACK_UPLOAD_ROUTE, PACK_MEDIA_TYPES } from "../routes/modpackMedia";

interface ErrorReply {
  error: string;
  message: string;
  problems?: Problem[];
}

/** Fastify's own errors that are the client's fault, with our codes. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: "invalid_json",
  FST_ERR_CTP_EMPTY_JSON_BODY: "invalid_json",
  FST_ERR_CTP_BODY_TOO_LARGE: "payload_too_large",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "invalid_request",
};

/** Seconds a client waits after a 503 before it retries (the pin check's deadline is 10 s; upstream blips are short). */
const UNAVAILABLE_RETRY_AFTER_S = 5;

/** Turns every error into `{ error, message }` with the status errorStatus.ts assigns. */
export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const body = toErrorReply(err);
    if (body.error === "unsupported_media_type") {
      const type = String(request.headers["content-type"] ?? "none").split(";")[0]!.slice(0, 100);
      body.message =
        request.routeOptions.url === MODPACK_UPLOAD_ROUTE
          ? `The body must be the .mrpack file (Content-Type: ${PACK_MEDIA_TYPES.join(", ")}), not ${JSON.stringify(type)}.`
          : `The body must be JSON (Content-Type: application/json), not ${JSON.stringify(type)}.`;
    }
    const status = httpStatusFor(body.error);
    if (status >= 500) request.log.error({ err }, "request failed");
    // 503 is "an upstream could not be asked now": say when asking again is worth it, as a 429 does.
    if (status === 503) void reply.header("retry-after", String(UNAVAILABLE_RETRY_AFTER_S));
    if (err instanceof RateLimitedError && err.retryAfterS !== undefined) void reply.header("retry-after", String(err.retryAfterS));
    return reply.status(status).send(body);
  });
});

function toErrorReply(err: FastifyError): ErrorReply {
  if (err instanceof InvalidRequestError && err.problems) return { error: err.code, message: err.message, problems: [...err.problems] };
  if (err instanceof ZlhError) return { error: err.code, message: err.message };
  if (err.validation) return validationReply(err);
  const code = err.code ? FASTIFY_CODES[err.code] : undefined;
  if (code) return { error: code, message: sentence(err.message) };
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return { error: "invalid_request", message: sentence(err.message) };
  }
  return { error: "internal_error", message: "The server failed to handle this request; it has been logged." };
}

function validationReply(err: FastifyError): ErrorReply {
  const errors = (err.validation ?? []) as unknown as ErrorObject[];
  const param = (e: ErrorObject, name: string) => (e.params as Record<string, unknown>)[name];
  if (err.validationContext === "headers" && errors.some((e) => param(e, "missingProperty") === "idempotency-key")) {
    const e = new IdempotencyKeyMissingError();
    return { error: e.code, message: e.message };
  }
  const problems = describeValidation(errors, err.validationContext);
  const managed = errors.find((e) => e.instancePath.endsWith("/serverProperties") && isManagedPropertyKey(String(param(e, "additionalProperty") ?? "")));
  if (managed) {
    // The field as every other problem names it (`body.serverProperties["rcon.password"]`), saying why it is refused.
    const [{ field }] = describeValidation([managed], err.validationContext) as [Problem];
    const why = "is managed by the platform and cannot be set";
    const listed = problems.map((p) => (p.field === field ? { field, message: why } : p));
    return { error: "managed_property", message: `${field} ${why}.`, problems: listed.slice(0, MAX_LISTED_PROBLEMS) };
  }
  if (problems.length === 0) return { error: "invalid_request", message: sentence(err.message) };
  return { error: "invalid_request", message: validationSentence(problems), problems: problems.slice(0, MAX_LISTED_PROBLEMS) };
}

function sentence(text: string): string {
  const t = text.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}
