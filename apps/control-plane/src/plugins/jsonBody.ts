import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { InvalidRequestError } from "@zlh/domain";
import { illFormedAt, illFormedMessage } from "../http/illFormedText";

/**
 * `content-type: application/json` with no body at all is `{}`: a client
 * library that always sends the header (and a retry that drops the body)
 * would otherwise get 400 invalid_json from a route whose body is optional
 * (reinstall, a backup, a restore, start/stop). A route whose body is
 * required still refuses `{}` with its schema's 400. Anything else is
 * parsed by Fastify's own JSON parser, with its refusals (`__proto__` and
 * `constructor.prototype` keys, malformed JSON) unchanged, and then refused
 * (400 invalid_request, naming where) if any string in it, key or value, is
 * not well-formed Unicode: JSON may escape half of a surrogate pair alone.
 * Nothing else a request carries can hold one: a query string's or a path's
 * percent-encoding decodes to well-formed text (or is refused), and Node
 * reads headers as latin1.
 */
export const jsonBodyPlugin = fp(async (app: FastifyInstance) => {
  const parse = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    if (body.length === 0) return done(null, {});
    return parse(request, body as string, (err, value) => {
      if (err) return done(err);
      const at = illFormedAt(value, "body");
      if (at) return done(new InvalidRequestError(illFormedMessage(at)));
      return done(null, value);
    });
  });
});
