import { randomUUID } from "node:crypto";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { rootCertificates } from "node:tls";
import { CliError, EXIT, exitForStatus } from "./exitCodes";

export interface ClientOptions {
  url: string;
  token: string | null;
  ca: string | null;
  /** One request's bound (connect to the end of a JSON answer); streams are bounded by the server. */
  timeoutMs?: number;
  /** An Idempotency-Key to send instead of a fresh one (a script retrying a whole command). */
  idempotencyKey?: string;
}

export interface Answer<T> {
  status: number;
  headers: IncomingMessage["headers"];
  body: T;
}

const RETRIES = 3;
const MAX_RETRY_WAIT_MS = 30_000;
const WRITES = new Set(["POST", "PATCH", "PUT", "DELETE"]);
/** Errors where the request may not have been seen (or answered): retried, with the same Idempotency-Key. */
const TRANSIENT = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EAI_AGAIN", "timeout"]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The API's error, as `{ error, message }` says it; never quotes the request's headers (the token). */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    const said = (typeof body === "object" && body !== null ? body : {}) as { error?: unknown; message?: unknown };
    const code = typeof said.error === "string" ? said.error : `http_${status}`;
    const message = typeof said.message === "string" ? said.message : `the control plane answered ${status}`;
    super(`${code}: ${message}`, exitForStatus(status));
  }
}

function retryAfterMs(headers: IncomingMessage["headers"], attempt: number): number {
  const header = headers["retry-after"];
  const seconds = typeof header === "string" ? Number(header) : Number.NaN;
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, MAX_RETRY_WAIT_MS);
  return Math.min(500 * 2 ** attempt, MAX_RETRY_WAIT_MS);
}

/**
 * The control plane's public HTTP API. Every write carries an Idempotency-Key, one per command, which every retry
 * of it reuses (a connection lost before the answer, 429, 503 honouring Retry-After): the API then does it once.
 */
export class Client {
  private readonly base: URL;
  private readonly ca: string[] | undefined;
  readonly idempotencyKey: string;

  constructor(private readonly opts: ClientOptions) {
    this.base = new URL(opts.url);
    // Ours next to the system's roots (NODE_EXTRA_CA_CERTS adds to those by itself).
    this.ca = opts.ca ? [...rootCertificates, opts.ca] : undefined;
    this.idempotencyKey = opts.idempotencyKey ?? `zlh-cli-${randomUUID()}`;
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    return { accept: "application/json", ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}), ...extra };
  }

  /** One request, its answer once the head arrives; the body is left to the caller. */
  open(method: string, path: string, headers: Record<string, string> = {}, body?: string, timeoutMs = this.opts.timeoutMs ?? 30_000): Promise<IncomingMessage> {
    const url = new URL(path, this.base);
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      // agent: false: no keep-alive socket holds the process open after the command.
      const req = send(url, { method, headers: this.headers(headers), ca: this.ca, timeout: timeoutMs, agent: false }, resolve);
      req.on("timeout", () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "timeout" })));
      req.on("error", reject);
      req.end(body);
    });
  }

  /** `T` is what the route answers (docs/api.md); the CLI trusts the control plane's shape, not its text. */
  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
    const write = WRITES.has(method);
    const headers: Record<string, string> = write ? { "idempotency-key": this.idempotencyKey } : {};
    if (body !== undefined) headers["content-type"] = "application/json";
    const text = body === undefined ? undefined : JSON.stringify(body);
    for (let attempt = 0; ; attempt++) {
      let res: IncomingMessage;
      try {
        res = await this.open(method, path, headers, text);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? "";
        if (TRANSIENT.has(code) && attempt < RETRIES) {
          await sleep(retryAfterMs({}, attempt));
          continue;
        }
        throw unreachable(this.base, err as NodeJS.ErrnoException);
      }
      const raw = await readAll(res, 16 * 1024 * 1024);
      const status = res.statusCode ?? 0;
      if ((status === 429 || status === 503) && attempt < RETRIES) {
        await sleep(retryAfterMs(res.headers, attempt));
        continue;
      }
      let parsed: unknown = raw;
      if (/json/.test(res.headers["content-type"] ?? "")) {
        try {
          parsed = JSON.parse(raw);
        } catch {
          throw new CliError(`the control plane answered ${status} with JSON that does not parse`, EXIT.apiError);
        }
      }
      if (status >= 400) throw new ApiError(status, parsed);
      return { status, headers: res.headers, body: parsed as T };
    }
  }

  /** A GET whose body is read as it comes (SSE, downloads); a 4xx/5xx is thrown as the API's error. */
  async stream(path: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
    let res: IncomingMessage;
    try {
      // A stream may be quiet for long: the socket timeout only bounds the wait for its head.
      res = await this.open("GET", path, headers, undefined);
    } catch (err) {
      throw unreachable(this.base, err as NodeJS.ErrnoException);
    }
    res.socket.setTimeout(0);
    const status = res.statusCode ?? 0;
    if (status >= 400) {
      const raw = await readAll(res, 1024 * 1024);
      let parsed: unknown = raw;
      try {
        parsed = JSON.parse(raw);
      } catch {
        // not JSON: the status says it
      }
      throw new ApiError(status, parsed);
    }
    return res;
  }
}

function unreachable(base: URL, err: NodeJS.ErrnoException): CliError {
  return new CliError(`cannot reach the control plane at ${base.origin}: ${err.code ? `${err.code}: ` : ""}${err.message}`, EXIT.unavailable);
}

async function readAll(res: IncomingMessage, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).length;
    if (size > max) {
      res.destroy();
      throw new CliError(`the control plane's answer is larger than ${max} bytes`, EXIT.apiError);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
