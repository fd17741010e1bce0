import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { ErrorBody, Operation, OperationParams } from "@zlh/api";
import { getOperationRecord } from "@zlh/db";
import { OperationNotFoundError } from "@zlh/domain";
import { assertIdShape } from "../../http/pathIds";
import { presentOperation } from "../../operations/presentOperation";

/**
 * One operation by id: what a restore, backup or lifecycle answer names can
 * be followed here, not only through events. Scoped as a server is (the read
 * scope: every token that may read a server may read its operations).
 */
export default async function operationRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    "/v1/operations/:id",
    {
      schema: {
        tags: ["operations"],
        operationId: "getOperation",
        summary: "An operation: its kind, status, attempt, server, times, and its result or failure reason",
        params: OperationParams,
        response: { 200: Operation, 404: ErrorBody },
      },
    },
    async (request) => {
      assertIdShape("uuid", request.params.id, (id) => new OperationNotFoundError(id));
      const row = await getOperationRecord(app.deps.db, request.params.id);
      if (!row) throw new OperationNotFoundError(request.params.id);
      return presentOperation(row);
    },
  );
}
