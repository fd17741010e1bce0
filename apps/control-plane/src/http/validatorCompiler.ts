import { Ajv, type Options } from "ajv";
import addFormats from "ajv-formats";
import type { FastifySchema, FastifySchemaCompiler } from "fastify";

/**
 * Two ajv instances behind Fastify's validation. Bodies are checked exactly
 * as sent: no coercion ("5" is not 5), an unknown property is refused, not
 * silently dropped. A query string, path or header is text by nature, so
 * there a whole number is coerced (`?limit=5` is the integer 5 a generated
 * client sends) and nothing else changes. Both report every problem, not
 * only the first (allErrors): the messages list at most ten
 * (plugins/validationMessages.ts), and what a body may hold is bounded by
 * the body limit and the schemas' own maxItems and maxLength.
 */
export function validatorCompiler(): FastifySchemaCompiler<FastifySchema> {
  const common: Options = { useDefaults: true, removeAdditional: false, allErrors: true, verbose: true, addUsedSchema: false, strict: false };
  const body = addFormats.default(new Ajv({ ...common, coerceTypes: false }));
  const text = addFormats.default(new Ajv({ ...common, coerceTypes: true }));
  // ajv keeps what it compiled by schema, so a schema shared by routes is compiled once.
  return ({ schema, httpPart }) => (httpPart === "body" ? body : text).compile(schema);
}
