import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { ZLH_VERSION } from "@zlh/process";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { fileURLToPath } from "node:url";

/** OpenAPI generated from the same typebox schemas the routes validate with; UI at /docs, JSON at /docs/json. */
export const openapiPlugin = fp(async (app: FastifyInstance) => {
  await app.register(swagger, {
    openapi: {
      info: { title: "ZeroLagHub control plane", version: ZLH_VERSION },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
  });
  // The built bundle carries swagger-ui's static files next to it (scripts/build.ts).
  const baseDir = process.env.ZLH_BUNDLED === "1" ? fileURLToPath(new URL("./static", import.meta.url)) : undefined;
  await app.register(swaggerUi, { routePrefix: "/docs", ...(baseDir ? { baseDir } : {}) });
});
