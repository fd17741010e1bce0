import { createServer, type Server } from "node:http";
import type { Logger } from "pino";
import type { Registry } from "prom-client";

/**
 * The agent's `/metrics` (Prometheus text format) on ZLH_AGENT_METRICS_LISTEN: GET or HEAD
 * only, nothing else served, no body read. Returns the listening server, or throws when the
 * address cannot be bound (the agent then refuses to start: a scrape target that silently
 * is not there is worse).
 */
export async function startMetricsServer(listen: { host: string; port: number }, registry: Registry, log: Logger): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: this endpoint serves /metrics only\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("method not allowed\n");
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType }).end(req.method === "HEAD" ? undefined : text),
      (err: Error) => {
        log.error({ err: err.message }, "metrics collection failed");
        res.writeHead(500, { "content-type": "text/plain" }).end("metrics collection failed\n");
      },
    );
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  log.info({ host: listen.host, port: listen.port }, "metrics listening");
  return server;
}
