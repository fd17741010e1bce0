import Type from "typebox";

/**
 * The shape of each kind of id a route takes in its path: a UUID (servers,
 * hosts, backups, ...) or a sha512 (an uploaded modpack). A path id is
 * validated only for its length, so an id of the wrong shape reaches the
 * handler and is answered as not found (404 with the resource's code, as an
 * id that could exist but does not), never as a malformed request (400).
 */
export const PATH_ID_PATTERNS = {
  uuid: "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
  sha512: "^[0-9a-f]{128}$",
} as const;
export type PathIdKind = keyof typeof PATH_ID_PATTERNS;

/** The schema keyword naming a path id's kind: validation ignores it, the OpenAPI document states that shape. */
export const PATH_ID_KIND = "x-zlh-id-kind";

/** A path id of `kind`: any string up to `maxLength` at validation, documented as that kind's shape. */
export const PathId = (kind: PathIdKind, maxLength: number, description?: string) =>
  Type.String({ maxLength, [PATH_ID_KIND]: kind, ...(description ? { description } : {}) });
