import type { ErrorObject } from "ajv";
import { MAX_LISTED_PROBLEMS, NO_CONTROL_CHARS } from "@zlh/api";
import { InvalidRequestError, type FieldProblem } from "@zlh/domain";

/** A field's problem: `field` is `body.mods[0].project`, `query.limit`, `path.id`, `header.idempotency-key`; `message` what is wrong with it, in plain words (without the field). */
export type Problem = FieldProblem;

const PART: Record<string, string> = { body: "body", querystring: "query", params: "path", headers: "header" };

/**
 * ajv's errors (all of them: allErrors) as problems a person reads: the
 * field by name (`query.limit`, not `querystring/limit`), what it must be
 * (`must be at most 500`, not `must match pattern "^[0-9]{1,4}$"`). The
 * alternatives of a union are one problem (`must be a string or null`).
 */
export function describeValidation(errors: readonly ErrorObject[], context: string | undefined): Problem[] {
  const part = PART[context ?? ""] ?? "request";
  const unions = errors.filter((e) => e.keyword === "anyOf");
  const insideUnion = (e: ErrorObject) =>
    e.keyword !== "anyOf" && unions.some((u) => u.instancePath === e.instancePath && e.schemaPath.startsWith(`${u.schemaPath.slice(0, -"/anyOf".length)}/anyOf/`));
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (insideUnion(e)) continue;
    const problem =
      e.keyword === "anyOf" ? describeUnion(e, errors.filter((s) => s.instancePath === e.instancePath && s.schemaPath.startsWith(`${e.schemaPath}/`)), part) : describeOne(e, part);
    const key = `${problem.field}\u0000${problem.message}`;
    if (!seen.has(key)) problems.push(problem);
    seen.add(key);
  }
  return problems;
}

/**
 * A handler's refusal of fields its schema cannot express (a byte bound, a range read from two parameters),
 * shaped as the schema's own refusal: 400 invalid_request, one sentence naming each field, and `problems`.
 */
export function invalidFields(...problems: Problem[]): InvalidRequestError {
  return new InvalidRequestError(validationSentence(problems), { problems: problems.slice(0, MAX_LISTED_PROBLEMS) });
}

/** One sentence of at most MAX_LISTED_PROBLEMS problems, the rest counted. */
export function validationSentence(problems: readonly Problem[]): string {
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => `${p.field} ${p.message}`);
  const more = problems.length - listed.length;
  const text = listed.join("; ") + (more > 0 ? `; and ${more} more problem${more === 1 ? "" : "s"}` : "");
  return `${text}.`;
}

function fieldOf(part: string, instancePath: string, child?: string): string {
  const steps = instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (child !== undefined) steps.push(child);
  let field = part;
  for (const s of steps) field += /^[0-9]+$/.test(s) ? `[${s}]` : /^[A-Za-z_$][\w$-]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
  return field;
}

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  integer: "a whole number",
  number: "a number",
  boolean: "true or false",
  object: "an object",
  array: "an array",
  null: "null",
};

const FORMAT_WORDS: Record<string, string> = { uuid: "a UUID", "date-time": "a date and time (RFC 3339)", uri: "a URL" };

function typeWords(type: unknown): string {
  const types = Array.isArray(type) ? type : [type];
  return types.map((t) => TYPE_WORDS[String(t)] ?? String(t)).join(" or ");
}

function describeOne(e: ErrorObject, part: string): Problem {
  const p = e.params as Record<string, unknown>;
  const field = fieldOf(part, e.instancePath);
  const schema = (e.parentSchema ?? {}) as { description?: string; pattern?: string };
  switch (e.keyword) {
    case "required":
      return { field: fieldOf(part, e.instancePath, String(p.missingProperty)), message: "is required" };
    case "additionalProperties":
      return { field: fieldOf(part, e.instancePath, String(p.additionalProperty)), message: "is not a field this accepts" };
    case "type":
      return { field, message: `must be ${typeWords(p.type)}` };
    case "minimum":
    case "exclusiveMinimum":
      return { field, message: `must be ${e.keyword === "minimum" ? "at least" : "more than"} ${p.limit}` };
    case "maximum":
    case "exclusiveMaximum":
      return { field, message: `must be ${e.keyword === "maximum" ? "at most" : "less than"} ${p.limit}` };
    case "minLength":
      return { field, message: p.limit === 1 ? "must not be empty" : `must be at least ${p.limit} characters long` };
    case "maxLength":
      return { field, message: `must be at most ${p.limit} characters long` };
    case "minItems":
    case "maxItems":
      return { field, message: `must have ${e.keyword === "minItems" ? "at least" : "at most"} ${p.limit} item${p.limit === 1 ? "" : "s"}` };
    case "minProperties":
    case "maxProperties":
      return { field, message: `must have ${e.keyword === "minProperties" ? "at least" : "at most"} ${p.limit} field${p.limit === 1 ? "" : "s"}` };
    case "enum":
      return { field, message: `must be one of: ${(p.allowedValues as unknown[]).map(String).join(", ")}` };
    case "const":
      return { field, message: `must be ${JSON.stringify(p.allowedValue)}` };
    case "format":
      return { field, message: `must be ${FORMAT_WORDS[String(p.format)] ?? `a valid ${p.format}`}` };
    case "pattern":
      if (schema.pattern === NO_CONTROL_CHARS || /\\u0000-\\u001f/i.test(schema.pattern ?? "")) return { field, message: "must not contain control characters (line breaks, tabs, NUL)" };
      return { field, message: schema.description ? `is not valid: ${lowerFirst(schema.description.replace(/\.$/, ""))}` : "is not in a form this accepts" };
    default:
      return { field, message: e.message ?? "is not valid" };
  }
}

function describeUnion(e: ErrorObject, branches: readonly ErrorObject[], part: string): Problem {
  const field = fieldOf(part, e.instancePath);
  if (branches.length > 0 && branches.every((b) => b.keyword === "const")) {
    return { field, message: `must be one of: ${branches.map((b) => String((b.params as { allowedValue: unknown }).allowedValue)).join(", ")}` };
  }
  if (branches.length > 0 && branches.every((b) => b.keyword === "type")) {
    return { field, message: `must be ${branches.map((b) => typeWords((b.params as { type: unknown }).type)).join(" or ")}` };
  }
  // A value of the right type that fails that branch's own rule says so (e.g. a loader version of the wrong shape, where null is also accepted).
  const specific = branches.find((b) => b.keyword !== "type");
  return specific ? describeOne(specific, part) : { field, message: "is not any of the forms this accepts" };
}

const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);
