import { PATH_ID_PATTERNS, type PathIdKind } from "@zlh/api";

/** Each kind's pattern, compiled once (a UUID in either case, as Postgres reads one). */
const SHAPES: Record<PathIdKind, RegExp> = {
  uuid: new RegExp(PATH_ID_PATTERNS.uuid, "i"),
  sha512: new RegExp(PATH_ID_PATTERNS.sha512),
};

/**
 * Throws `notFound(id)` unless `id` has the shape of a `kind` id. One that has not names nothing: it is answered
 * as not found (404 with the resource's code, as an id that could exist but does not), never 400, and never
 * reaches the database (where a uuid column would refuse it as a type error).
 */
export function assertIdShape(kind: PathIdKind, id: string, notFound: (id: string) => Error): void {
  if (!SHAPES[kind].test(id)) throw notFound(id);
}
