import Fastify, { type FastifyReply, LogController } from "fastify";
import type { Logger } from "pino";
import { connectDatabase, migrateDatabase, syncResourcePools } from "@zlh/db";
import app from "./app";
import type { ControlPlaneConfig } from "./config";
import { ManifestCache } from "./fabric/manifestCache";
import { startWorker } from "./jobs/worker";
import { startExpiryLoop } from "./broker/expiryLoop";
import { startBackupRemovalSweep } from "./broker/backupRemovalSweep";
import { startLogReadSweep } from "./streams/logReadSweep";
import { startScheduler } from "./schedules/scheduler";
import { logStreamCaps } from "./streams/logStreamCaps";
import { listenForNotifications } from "./gateway/notifications";
import { EdgeBodyCache, listenForEdgeChanges } from "./edge/bodyCache";
import type { TraefikDynamicConfig } from "@zlh/api";
import { SessionRegistry } from "./gateway/sessionRegistry";
import { Lifo } from "./lifo";
import { serverFactory } from "./http/serverFactory";
import { requestId } from "./http/requestId";
import { validatorCompiler } from "./http/validatorCompiler";
import { Metrics } from "./metrics/metrics";
import { registerDatabaseGauges } from "./metrics/collectFromDatabase";

export interface ControlPlane {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:3000 */
  readonly url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Run graphile-worker in this process (default true). Tests that inspect queued jobs turn it off. */
  runWorker?: boolean;
}

/** Starts every part of the control plane; `close()` stops them in reverse order. */
export async function startControlPlane(
  config: ControlPlaneConfig,
  log: Logger,
  options: StartOptions = {},
): Promise<ControlPlane> {
  const resources = new Lifo(log);
  try {
    await migrateDatabase(config.databaseUrl);
    log.info("database migrated");
    const database = connectDatabase(config.databaseUrl, { max: 20, applicationName: "zlh-control-plane", statementTimeoutMs: 30_000 });
    resources.push("database", () => database.close());
    await syncResourcePools(database.db, config.vmidRange);

    const metrics = new Metrics();
    registerDatabaseGauges(metrics.registry, database.db, config.leaseTtlMs);
    // One cache of resolved manifests for the provision jobs and the creates of this process.
    const manifests = new ManifestCache();
    if (options.runWorker !== false) {
      const worker = await startWorker(config, database.db, log, metrics, manifests);
      resources.push("worker", () => worker.stop());
    }
    const expiry = startExpiryLoop(database.db, Math.max(100, Math.floor(config.leaseTtlMs / 5)), log, metrics);
    resources.push("lease expiry", () => expiry.stop());
    // Archives whose removal could not be queued when their backup was removed (the server was busy).
    const removals = startBackupRemovalSweep(database.db, Math.max(1000, config.leaseTtlMs), log);
    resources.push("backup removal sweep", () => removals.stop());
    const logReads = startLogReadSweep(database.db, logStreamCaps(config).staleAfterMs, 30_000, log);
    resources.push("log read sweep", () => logReads.stop());
    // Every process ticks; each due slot is taken by one of them (schedules/takeSlot.ts).
    const scheduleLog = log.child({ component: "scheduler" });
    const scheduler = startScheduler({ db: database.db, log: scheduleLog, toleranceMs: config.schedules.toleranceMs, config }, config.schedules.tickMs, scheduleLog);
    resources.push("scheduler", () => scheduler.stop());
    const registry = new SessionRegistry();
    const listening = await listenForNotifications(database.sql, registry);
    resources.push("notifications", () => listening.stop());
    const traefikCache = new EdgeBodyCache<TraefikDynamicConfig>();
    if (config.edgeNaming) {
      const edgeChanges = await listenForEdgeChanges(database.sql, traefikCache as EdgeBodyCache<unknown>);
      resources.push("edge change notifications", () => edgeChanges.stop());
    }

    const http = Fastify({
      loggerInstance: log,
      // Fastify's two lines per request are replaced by one (plugins/requestLog.ts),
      // with the client, the route, the status and the duration.
      logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: "requestId" }),
      serverFactory: serverFactory(config),
      bodyLimit: 256 * 1024,
      // A route parameter may be a sha512 (DELETE /v1/modpacks/:id): 128 characters, past Fastify's default 100.
      // (Router options go in routerOptions: at the top level Fastify 5 warns FSTDEP022 at every start.)
      routerOptions: { maxParamLength: 160 },
      genReqId: requestId,
      requestIdHeader: false,
      // A path that is not percent-encoded UTF-8 (/v1/servers/%ED%A0%80) is refused before any route, and so
      // before the error handler: answered here as every other refusal is, not in Fastify's own shape.
      // (The only other is a failed async route constraint, which this API has none of.)
      frameworkErrors: (err, request, reply) => {
        const refused = err.code === "FST_ERR_BAD_URL";
        if (!refused) request.log.error({ err }, "request failed");
        const body = refused
          ? { error: "invalid_request", message: "The path is not percent-encoded UTF-8." }
          : { error: "internal_error", message: "The server failed to handle this request; it has been logged." };
        void (reply as unknown as FastifyReply).status(refused ? 400 : 500).send(body);
      },
    });
    // Bodies exactly as sent; query strings, paths and headers with whole numbers coerced; every problem reported.
    http.setValidatorCompiler(validatorCompiler());
    await http.register(app, {
      db: database.db,
      config,
      vmidRange: config.vmidRange,
      portRange: config.portRange,
      registry,
      metrics,
      manifests,
      traefikCache,
    });
    // Fastify names the scheme from its own `https` option, which a serverFactory bypasses: without this a TLS
    // control plane logs "listening at http://..." and an operator's first curl goes to the wrong scheme.
    const scheme = config.tls ? "https://" : "http://";
    await http.listen({ port: config.port, host: config.host, listenTextResolver: (address) => `Server listening at ${address.replace(/^https?:\/\//, scheme)}` });
    resources.push("http", async () => {
      registry.closeAll();
      // Fastify 5.12 closes keep-alive connections only if idle when close()
      // starts (fastify#7044): one serving a request then stays open for the
      // whole keepAliveTimeout (72 s) after its response, and a SIGTERM under
      // load ended in SIGKILL. Sweeping idle connections until the server is
      // closed lets in-flight requests finish and their connections go.
      const sweep = setInterval(() => http.server.closeIdleConnections(), 50);
      try {
        await http.close();
      } finally {
        clearInterval(sweep);
      }
    });
    const address = http.server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    const host = config.host === "0.0.0.0" ? "127.0.0.1" : config.host;
    const url = `${config.tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}`;
    log.info({ url }, "control plane listening");
    return { url, close: () => resources.closeAll() };
  } catch (err) {
    await resources.closeAll();
    throw err;
  }
}
