import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { ZLH_VERSION } from "@zlh/process";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { fileURLToPath } from "node:url";
import { documentErrors, nameSchemas, type OpenApiDocument } from "../http/openapiDocument";

/**
 * OpenAPI 3.1 generated from the same typebox schemas the routes validate
 * with, reshaped for generators (http/openapiDocument.ts): named component
 * schemas, every error documented, streams as text/event-stream. JSON at
 * /openapi.json (and /docs/json), the UI at /docs.
 */
export const openapiPlugin = fp(async (app: FastifyInstance) => {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "ZeroLagHub control plane",
        version: ZLH_VERSION,
        description: "Every error is `{ error, message }` with a stable `error` code (components.schemas.ErrorCode); a validation error also lists its `problems`, one per field.",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    transformObject: (generated) => ("openapiObject" in generated ? documentErrors(nameSchemas(generated.openapiObject as unknown as OpenApiDocument)) : generated.swaggerObject) as never,
  });
  // The built bundle carries swagger-ui's static files next to it (scripts/build.ts).
  const baseDir = process.env.ZLH_BUNDLED === "1" ? fileURLToPath(new URL("./static", import.meta.url)) : undefined;
  await app.register(swaggerUi, { routePrefix: "/docs", ...(baseDir ? { baseDir } : {}) });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
});
