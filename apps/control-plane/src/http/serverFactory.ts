import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { ControlPlaneConfig } from "../config";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The Node server under Fastify, HTTP or HTTPS (ZLH_TLS_*), with the timeouts
 * that keep a slow or silent client from holding a socket: a whole request
 * (headers and body) within `requestTimeoutMs` (else 408), headers within
 * the same bound, idle keep-alive connections closed after `idleTimeoutMs`.
 * Node checks request deadlines every `connectionsCheckingInterval`; at its
 * default (30 s) a 1 s limit would only be enforced 30 s late.
 */
export function serverFactory(config: Pick<ControlPlaneConfig, "http" | "tls">) {
  const { requestTimeoutMs, idleTimeoutMs } = config.http;
  const options = {
    requestTimeout: requestTimeoutMs,
    headersTimeout: requestTimeoutMs,
    keepAliveTimeout: Math.min(idleTimeoutMs, 72_000),
    connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(requestTimeoutMs / 4))),
  };
  return (handler: Handler): Server => {
    const server: Server = config.tls
      ? (createHttpsServer({ ...options, cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) }, handler) as unknown as Server)
      : createHttpServer(options, handler);
    server.timeout = idleTimeoutMs;
    return server;
  };
}
