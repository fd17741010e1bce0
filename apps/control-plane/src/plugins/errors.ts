import type { FastifyError, FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { isManagedPropertyKey } from "@zlh/api";
import { IdempotencyKeyMissingError, ZlhError } from "@zlh/domain";
import { httpStatusFor } from "../http/errorStatus";

interface ErrorReply {
  error: string;
  message: string;
}

/** Fastify's own errors that are the client's fault, with our codes. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: "invalid_json",
  FST_ERR_CTP_EMPTY_JSON_BODY: "invalid_json",
  FST_ERR_CTP_BODY_TOO_LARGE: "payload_too_large",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "invalid_request",
};

/** Turns every error into `{ error, message }` with the status errorStatus.ts assigns. */
export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const body = toErrorReply(err);
    const status = httpStatusFor(body.error);
    if (status >= 500) request.log.error({ err }, "request failed");
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: "not_found", message: `No route for ${request.method} ${request.url.split("?")[0]}.` }),
  );
});

function toErrorReply(err: FastifyError): ErrorReply {
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
  const first = err.validation?.[0];
  const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
  if (err.validationContext === "headers" && missing === "idempotency-key") {
    const e = new IdempotencyKeyMissingError();
    return { error: e.code, message: e.message };
  }
  const extra = (first?.params as { additionalProperty?: string } | undefined)?.additionalProperty;
  const where = `${err.validationContext ?? "request"}${first?.instancePath ?? ""}`;
  if (extra !== undefined) {
    if (where.endsWith("/serverProperties") && isManagedPropertyKey(extra)) {
      return {
        error: "managed_property",
        message: `serverProperties.${extra} is managed by the platform and cannot be set.`,
      };
    }
    return { error: "invalid_request", message: `${where} has a property that is not allowed: ${JSON.stringify(extra)}.` };
  }
  return { error: "invalid_request", message: sentence(err.message) };
}

function sentence(text: string): string {
  const t = text.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}
