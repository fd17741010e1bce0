import type { FastifyInstance } from "fastify";
import type { Db } from "@zlh/db";
import type { ControlPlaneConfig } from "./config";
import { errorsPlugin } from "./plugins/errors";
import { httpShapePlugin } from "./plugins/httpShape";
import { jsonBodyPlugin } from "./plugins/jsonBody";
import { authPlugin } from "./plugins/auth";
import { consoleCorsPlugin } from "./plugins/consoleCors";
import { openapiPlugin } from "./plugins/openapi";
import { rateLimitsPlugin } from "./plugins/rateLimits";
import { requestLogPlugin } from "./plugins/requestLog";
import healthRoutes from "./routes/health";
import hostRoutes from "./routes/hosts/index";
import hostMaintenanceRoutes from "./routes/hosts/maintenance";
import createServerRoute from "./routes/servers/create";
import readServerRoutes from "./routes/servers/read";
import lifecycleRoutes from "./routes/servers/lifecycle";
import consoleTokenRoutes from "./routes/servers/consoleTokens";
import consoleRoutes from "./routes/servers/console";
import backupRoutes from "./routes/servers/backups";
import changeHistoryRoutes from "./routes/servers/changes";
import statsRoutes from "./routes/servers/stats";
import scheduleRoutes from "./routes/servers/schedules";
import backupDownloadRoute from "./routes/servers/backupDownload";
import driftRoutes from "./routes/drift";
import apiTokenRoutes from "./routes/apiTokens/index";
import eventRoutes from "./routes/events";
import operationRoutes from "./routes/operations/index";
import edgeTraefikRoute from "./routes/edgeTraefik";
import type { EdgeBodyCache } from "./edge/bodyCache";
import type { TraefikDynamicConfig } from "@zlh/api";
import whoamiRoute from "./routes/whoami";
import { consoleUiPlugin } from "./plugins/consoleUi";
import { restoreArchiveRoute } from "./gateway/restoreArchive";
import { logStreamCaps } from "./streams/logStreamCaps";
import { agentGateway } from "./gateway/plugin";
import type { SessionRegistry } from "./gateway/sessionRegistry";
import type { Metrics } from "./metrics/metrics";
import type { ManifestCache } from "./fabric/manifestCache";
import metricsRoute from "./routes/metrics";
import modpackRoutes from "./routes/modpacks";
import { createArtifactSource, type ArtifactSource } from "@zlh/artifacts";

export interface AppDeps {
  db: Db;
  config: ControlPlaneConfig;
  vmidRange: ControlPlaneConfig["vmidRange"];
  portRange: ControlPlaneConfig["portRange"];
  registry: SessionRegistry;
  metrics: Metrics;
  /** Shared with this process's provision jobs (createServerOnce). */
  manifests?: ManifestCache;
  /** Where modpacks from Modrinth are read at create and change (default: ZLH_ARTIFACT_SOURCE's). */
  source?: ArtifactSource;
  /** The Traefik endpoint's body, kept until the servers' edge inputs change; without it, built on every poll. */
  traefikCache?: EdgeBodyCache<TraefikDynamicConfig>;
}

declare module "fastify" {
  interface FastifyInstance {
    deps: AppDeps;
  }
}

/**
 * The HTTP application as a plugin: routes and their plugins, nothing that
 * listens. Resources (database, worker, gateway) are owned and closed by
 * controlPlane.ts, which passes them in.
 */
export default async function app(fastify: FastifyInstance, deps: AppDeps) {
  fastify.decorate("deps", { ...deps, source: deps.source ?? createArtifactSource(deps.config.artifactSource, deps.config.artifactMirror) });
  await fastify.register(errorsPlugin);
  await fastify.register(httpShapePlugin);
  await fastify.register(jsonBodyPlugin);
  await fastify.register(requestLogPlugin);
  await fastify.register(rateLimitsPlugin, deps.config.rateLimit);
  await fastify.register(openapiPlugin);
  await fastify.register(consoleCorsPlugin, { origins: deps.config.console.origins });
  await fastify.register(healthRoutes);
  await fastify.register(consoleUiPlugin);
  await fastify.register(agentGateway, {
    db: deps.db,
    secretsKeys: deps.config.secretsKeys,
    registry: deps.registry,
    leaseTtlMs: deps.config.leaseTtlMs,
    metrics: deps.metrics,
    backupRetention: deps.config.backupRetention,
  });
  await fastify.register(restoreArchiveRoute, {
    db: deps.db,
    commandTimeoutMs: deps.config.commandTimeoutMs,
    downloadsPerServer: deps.config.streams.downloadsPerServer,
    staleAfterMs: logStreamCaps(deps.config).staleAfterMs,
  });
  if (deps.config.metricsPublic) await fastify.register(metricsRoute);
  await fastify.register(async (v1) => {
    await v1.register(authPlugin, { clients: deps.config.apiClients, db: deps.db });
    await v1.register(hostRoutes);
    await v1.register(hostMaintenanceRoutes);
    await v1.register(modpackRoutes);
    await v1.register(createServerRoute);
    await v1.register(readServerRoutes);
    await v1.register(lifecycleRoutes);
    await v1.register(consoleRoutes);
    await v1.register(consoleTokenRoutes);
    await v1.register(backupRoutes);
    await v1.register(operationRoutes);
    await v1.register(changeHistoryRoutes);
    await v1.register(statsRoutes);
    await v1.register(scheduleRoutes);
    await v1.register(backupDownloadRoute);
    await v1.register(driftRoutes);
    await v1.register(apiTokenRoutes);
    await v1.register(eventRoutes);
    await v1.register(edgeTraefikRoute);
    await v1.register(whoamiRoute);
    if (!deps.config.metricsPublic) await v1.register(metricsRoute);
  });
}
