import Fastify from "fastify";
import { connectDatabase } from "@zlh/db";
import app from "./app";
import { loadConfig } from "./config";
import { validatorCompiler } from "./http/validatorCompiler";
import { Metrics } from "./metrics/metrics";
import { SessionRegistry } from "./gateway/sessionRegistry";

/**
 * The OpenAPI document this version serves at /openapi.json, made without a
 * database or a port: the routes are registered, never called. What
 * packages/client's types are generated from (`pnpm client:generate`).
 */
export async function describeApi(): Promise<Record<string, unknown>> {
  // Never connected: postgres.js opens a connection at the first query, and none is made.
  const config = loadConfig({ DATABASE_URL: "postgres://describe@127.0.0.1:1/none", ZLH_API_TOKENS: "describe-only-token-0123", ZLH_SECRETS_KEY: Buffer.alloc(32).toString("base64") });
  const database = connectDatabase(config.databaseUrl, { max: 1 });
  const http = Fastify({ logger: false });
  http.setValidatorCompiler(validatorCompiler());
  try {
    await http.register(app, { db: database.db, config, vmidRange: config.vmidRange, portRange: config.portRange, registry: new SessionRegistry(), metrics: new Metrics() });
    const res = await http.inject({ method: "GET", url: "/openapi.json" });
    if (res.statusCode !== 200) throw new Error(`GET /openapi.json answered ${res.statusCode}: ${res.body}`);
    return res.json();
  } finally {
    await http.close();
    await database.close();
  }
}
