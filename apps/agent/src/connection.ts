import WebSocket from "ws";
import type { Logger } from "pino";

export interface ConnectionHandlers {
  onOpen(send: (frame: string) => boolean): void;
  onFrame(frame: string): void;
  onClose(): void;
}

/** The gateway URL for a control-plane base URL given as http(s) or ws(s). */
export function gatewayUrl(base: string): string {
  return `${base.replace(/^http/, "ws").replace(/\/+$/, "")}/v1/agent`;
}

/**
 * A websocket to the control plane that comes back: reconnects with
 * exponential backoff and full jitter (so a restarted control plane is not hit
 * by every agent in the same millisecond), longer after being refused.
 *
 * Superseded (close code 4001: a newer session took this host) means another
 * agent holds this host's token, or this one was presumed dead. It says so
 * and backs off 30 s, doubling up to 5 min while it keeps being superseded,
 * instead of taking the session back at once: two agents started with one
 * token would otherwise take it from each other every second or two, forever.
 */
export const SUPERSEDED_BACKOFF_MS = 30_000;
export const SUPERSEDED_BACKOFF_MAX_MS = 5 * 60_000;
export class Connection {
  #ws: WebSocket | null = null;
  #attempt = 0;
  #stopped = false;
  #timer: NodeJS.Timeout | null = null;
  /** Supersessions in a row (reset by a session that lasted longer than the longest backoff). */
  #superseded = 0;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly handlers: ConnectionHandlers,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.#connect();
  }

  send(frame: string): boolean {
    if (this.#ws?.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(frame);
    return true;
  }

  /** Drops the current socket (as a network fault would); a new one follows. */
  drop(): void {
    this.#ws?.terminate();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    const ws = this.#ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once("close", () => resolve());
      ws.close(1000, "agent stopping");
      setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2000).unref();
    });
  }

  #connect(): void {
    if (this.#stopped) return;
    const ws = new WebSocket(this.url, { headers: { authorization: `Bearer ${this.token}` }, handshakeTimeout: 10_000 });
    this.#ws = ws;
    let slow = false;
    let openedAt = 0;
    ws.on("open", () => {
      openedAt = Date.now();
      this.#attempt = 0;
      this.log.info("connected to control plane");
      this.handlers.onOpen((frame) => this.send(frame));
    });
    ws.on("message", (data: WebSocket.RawData, isBinary: boolean) => {
      if (!isBinary) this.handlers.onFrame(data.toString());
    });
    ws.on("unexpected-response", (_req, res) => {
      slow = true;
      this.log.error({ status: res.statusCode }, "control plane refused the connection");
      ws.terminate();
    });
    ws.on("error", (err) => this.log.warn({ err: err.message }, "connection error"));
    ws.on("close", (code) => {
      if (this.#ws === ws) this.#ws = null;
      this.handlers.onClose();
      if (code === 4001) return this.#backOffSuperseded();
      if (openedAt && Date.now() - openedAt > SUPERSEDED_BACKOFF_MAX_MS) this.#superseded = 0;
      this.#schedule(slow);
    });
  }

  #backOffSuperseded(): void {
    if (this.#stopped) return;
    this.#superseded++;
    const cap = Math.min(SUPERSEDED_BACKOFF_MAX_MS, SUPERSEDED_BACKOFF_MS * 2 ** (this.#superseded - 1));
    const delay = Math.round(cap * (0.5 + Math.random() / 2));
    this.log.warn(
      { delayMs: delay, supersededInARow: this.#superseded },
      "another agent is serving this host (a newer session took it over): is a second agent running with this host's token? Backing off",
    );
    this.#timer = setTimeout(() => this.#connect(), delay);
  }

  #schedule(slow: boolean): void {
    if (this.#stopped) return;
    this.#attempt++;
    const cap = Math.min(10_000, 200 * 2 ** Math.min(this.#attempt, 6)) * (slow ? 5 : 1);
    const delay = Math.round(Math.random() * cap);
    this.log.info({ delayMs: delay, attempt: this.#attempt }, "reconnecting");
    this.#timer = setTimeout(() => this.#connect(), delay);
  }
}
