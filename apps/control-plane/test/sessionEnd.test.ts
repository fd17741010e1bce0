import { EventEmitter } from "node:events";
import type { FastifyBaseLogger } from "fastify";
import type { WebSocket } from "ws";
import { describe, expect, it } from "vitest";
import { AgentSession, type SessionDeps } from "../src/gateway/agentSession";

/** A socket the peer has already closed, and a log that records what the session says. */
function closedSocketAndLog() {
  const socket = Object.assign(new EventEmitter(), { OPEN: 1, readyState: 3, send() {}, close() {}, pause() {}, resume() {} });
  const said: string[] = [];
  const log = { child: () => log, info: () => {}, error: () => {}, debug: () => {}, warn: (_o: unknown, msg: string) => said.push(msg) };
  return { socket: socket as unknown as WebSocket & EventEmitter, said, log: log as unknown as FastifyBaseLogger };
}

describe("an agent session whose socket closes", () => {
  it("still handles the frames the agent sent before closing (an agent's hand-back on shutdown is never dropped)", async () => {
    const { socket, said, log } = closedSocketAndLog();
    let start!: () => void;
    const started = new Promise<void>((r) => (start = r)); // the control plane is behind: nothing handled yet
    const session = new AgentSession(socket, "host", "session", { log } as unknown as SessionDeps, started);
    socket.emit("message", Buffer.from("not a frame"), false);
    const ended = session.ended(); // the socket is gone before the queue got to the frame
    start();
    await ended;
    expect(said).toEqual(["agent message refused"]); // the frame was decoded and judged, not dropped
  });
});
