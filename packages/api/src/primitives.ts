import Type from "typebox";
import { ERROR_CODES } from "@zlh/domain";

/**
 * Text free of control characters (C0, DEL). A NUL byte in particular must be a
 * 400, not a Postgres error, and line breaks must never reach server.properties.
 */
export const NO_CONTROL_CHARS = "^[^\\u0000-\\u001F\\u007F]*$";

export const SafeText = (minLength: number, maxLength: number, description?: string) =>
  Type.String({ minLength, maxLength, pattern: NO_CONTROL_CHARS, ...(description ? { description } : {}) });

/**
 * Game versions become URLs and file paths, so only their real shapes pass:
 * 1.21.1, 1.21-pre1, 1.21-rc1, 24w14a, and the 2026 line's 26.1, 26.1.2,
 * 26.2-pre-1, 26.2-rc-1, 26.3-snapshot-9 (Mojang's version_manifest_v2).
 */
export const MinecraftVersion = Type.String({
  pattern: "^(?:[0-9]{1,2}\\.[0-9]{1,2}(?:\\.[0-9]{1,2})?(?:-(?:pre|rc)[0-9]{1,2}|-(?:pre|rc|snapshot)-[0-9]{1,2})?|[0-9]{2}w[0-9]{2}[a-z])$",
  description: "A Minecraft release or snapshot version, e.g. 1.21.1.",
});

/** Fabric and Quilt loader versions: 0.16.5, 0.15.0+build.1, 0.27.0-beta.1 */
export const LoaderVersion = Type.String({
  pattern: "^(?:[0-9]{1,3}(?:\\.[0-9]{1,4}){1,3}(?:[-+][0-9A-Za-z]{1,16}(?:\\.[0-9A-Za-z]{1,16}){0,3})?|[1-9][0-9]{0,8})$",
  description:
    "The loader to pin: for fabric and quilt a loader version (e.g. 0.16.5); for paper and purpur a build number of the game (e.g. 132; default: the newest stable build), refused with 422 unknown_build when the upstream does not list it.",
});

/** A Modrinth project slug or 8-character id. No dots or slashes: it becomes a URL path segment. */
export const ModProject = Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9_-]{1,63}$" });

/** A Modrinth version id or version number, e.g. `0.102.0+1.21.1`. */
export const ModVersion = Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$" });

export const Uuid = Type.String({ format: "uuid" });

export const Timestamp = Type.String({ format: "date-time" });

/** How many problems one validation error lists (ajv's allErrors, bounded): the rest are counted, not named. */
export const MAX_LISTED_PROBLEMS = 10;

export const ErrorBody = Type.Object(
  {
    error: Type.Enum(ERROR_CODES, { title: "ErrorCode", description: "Stable snake_case error code." }),
    message: Type.String({ description: "A human-readable sentence: for a validation error, every problem found (at most 10), each naming its field." }),
    problems: Type.Optional(
      Type.Array(
        Type.Object({
          field: Type.String({ description: "Where: `body.mods[0].project`, `query.limit`, `path.id`, `header.idempotency-key`." }),
          message: Type.String({ description: "What is wrong with it, in plain words." }),
        }),
        { maxItems: MAX_LISTED_PROBLEMS, description: "A validation error's problems, one per field." },
      ),
    ),
  },
  { title: "Error" },
);

/** A query parameter that is a whole number (a query string is text: Fastify's ajv coerces it for querystrings only). */
export const QueryInteger = (minimum: number, maximum: number, description: string) => Type.Integer({ minimum, maximum, description });
