import Type, { type Static } from "typebox";
import { PathId } from "./pathIds";
import { Timestamp, Uuid } from "./primitives";

const Scope = Type.Enum(["read", "panel", "admin", "metrics"], {
  title: "ApiScope",
  description: "read: GET only; panel: servers (create, change, power, delete); admin: also hosts, API tokens, metrics; metrics: GET /metrics and nothing else (a Prometheus scraper).",
});

export const CreateApiTokenBody = Type.Object(
  {
    client: Type.String({
      pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
      description: "The client's name. Tokens of one name are one client: idempotency keys, rate limits and the audit trail follow the name, not the token.",
    }),
    scope: Scope,
  },
  { additionalProperties: false, title: "CreateApiTokenBody" },
);
export type CreateApiTokenBody = Static<typeof CreateApiTokenBody>;

const ApiTokenFields = {
  id: Uuid,
  client: Type.String(),
  scope: Scope,
  createdAt: Timestamp,
  revokedAt: Type.Union([Timestamp, Type.Null()]),
};

export const ApiToken = Type.Object(ApiTokenFields, { title: "ApiToken" });
export const CreatedApiToken = Type.Object({ ...ApiTokenFields, token: Type.String({ description: "Shown once; only its hash is stored." }) }, { title: "CreatedApiToken" });
export const ApiTokenList = Type.Object({ items: Type.Array(ApiToken) }, { title: "ApiTokenList" });
export const ApiTokenIdParams = Type.Object({ id: PathId("uuid", 64) });

export const Caller = Type.Object(
  {
    client: Type.String({ description: "The API client the token belongs to (what events' `actor` and idempotency keys name)." }),
    scope: Scope,
  },
  { title: "Caller" },
);
