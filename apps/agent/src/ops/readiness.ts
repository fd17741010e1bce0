import { pingServer, type ServerStatus } from "../slp/ping";
import { OpFailure } from "./opFailure";

/**
 * "Running" means the game port answers a Server List Ping on the
 * container's direct address with players.max > 0 (and, when given, the
 * expected version). DNS and edge routing play no part. Polls until
 * `timeoutMs`, then fails with the last thing it saw.
 */
export async function waitUntilAnswering(
  address: string,
  port: number,
  timeoutMs: number,
  expectVersion?: string,
  signal?: AbortSignal,
  /** When given, checked between attempts: a server whose process is gone will not answer; say so at once. */
  alive?: () => Promise<boolean>,
): Promise<ServerStatus> {
  const deadline = Date.now() + timeoutMs;
  let last = "no attempt";
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    signal?.throwIfAborted();
    try {
      const status = await pingServer(address, port, Math.min(2000, Math.max(200, deadline - Date.now())));
      if (status.players.max > 0 && (!expectVersion || status.version.name === expectVersion)) return status;
      last = `answered with version ${JSON.stringify(status.version.name)} and players.max ${status.players.max}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (alive && !(await alive())) throw new OpFailure("server_exited", `the server process exited before it answered (see logs/latest.log): ${last}`, false);
    if (Date.now() + delay > deadline) break;
    await new Promise((r) => setTimeout(r, delay));
  }
  throw new OpFailure("not_ready", `${address}:${port} did not become ready within ${timeoutMs} ms: ${last}`, true);
}
