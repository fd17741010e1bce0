import type { FastifyRequest } from "fastify";
import { findHostByTokenHash, type Db } from "@zlh/db";
import { UnauthorizedError } from "@zlh/domain";
import { bearerToken, sha256Hex } from "../http/tokens";

/** A preValidation hook: the request's host token (Authorization: Bearer) names an enrolled host, set as `request.agentHost`; else 401. */
export function authenticateAgent(db: Db) {
  return async (request: FastifyRequest) => {
    const token = bearerToken(request.headers.authorization);
    const tokenHash = token ? sha256Hex(token) : null;
    const host = tokenHash ? await findHostByTokenHash(db, tokenHash) : null;
    if (!host || !tokenHash) throw new UnauthorizedError("A valid agent token is required.");
    request.agentHost = { ...host, tokenHash };
  };
}
