import type { OperationSpec } from "@zlh/protocol";
import { rconCommand } from "../rcon/rconCommand";
import { pingServer, type ServerStatus } from "../slp/ping";
import { OpFailure } from "./opFailure";

/** What proves a server is this one: its game port, and an RCON login with its own password on its RCON port. */
export type ServerIdentity = Pick<OperationSpec, "gamePort" | "rconPort" | "rconPassword">;

/**
 * "Running" means this server answers on the container's direct address: a
 * Server List Ping on its game port with players.max > 0 (and, when given,
 * the expected version), AND an RCON login with this server's own password
 * on its RCON port. The ping alone proves only that something answers there:
 * a leftover process, or another server given the same address, would make a
 * dead server look running. DNS and edge routing play no part. Polls until
 * `timeoutMs`, then fails with the last thing it saw: `identity_unproven`
 * when something answered the ping but not as this server, else `not_ready`.
 */
export async function waitUntilAnswering(
  address: string,
  server: ServerIdentity,
  timeoutMs: number,
  expectVersion?: string,
  signal?: AbortSignal,
  /** When given, run between attempts: throws once the game has ended (gameEnded.ts), since it will not answer. */
  checkGameEnded?: (lastSeen: string) => Promise<void>,
): Promise<ServerStatus> {
  const { gamePort, rconPort, rconPassword } = server;
  if (!rconPassword) {
    throw new OpFailure("identity_unproven", `the server has no RCON password, so that what answers on ${address}:${gamePort} is this server cannot be proven (identity check)`, false);
  }
  const deadline = Date.now() + timeoutMs;
  let last = "no attempt";
  let foreign = false;
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    signal?.throwIfAborted();
    const budget = () => Math.min(2000, Math.max(200, deadline - Date.now()));
    try {
      const status = await pingServer(address, gamePort, budget());
      if (status.players.max > 0 && (!expectVersion || status.version.name === expectVersion)) {
        const proof = await proveIdentity(address, rconPort, rconPassword, budget());
        if (proof === null) return status;
        foreign = true;
        last = `${address}:${gamePort} answered the status ping, but the identity check failed: ${proof}`;
      } else {
        foreign = false;
        last = `answered with version ${JSON.stringify(status.version.name)} and players.max ${status.players.max}`;
      }
    } catch (err) {
      foreign = false;
      last = (err as Error).message;
    }
    await checkGameEnded?.(last);
    if (Date.now() + delay > deadline) break;
    await new Promise((r) => setTimeout(r, delay));
  }
  if (foreign) throw new OpFailure("identity_unproven", `not ready within ${timeoutMs} ms: ${last}`, true);
  throw new OpFailure("not_ready", `${address}:${gamePort} did not become ready within ${timeoutMs} ms: ${last}`, true);
}

/** null when an RCON login with `password` succeeds (and a `list` is answered); else why not. */
async function proveIdentity(address: string, rconPort: number, password: string, timeoutMs: number): Promise<string | null> {
  try {
    await rconCommand(address, rconPort, password, "list", timeoutMs);
    return null;
  } catch (err) {
    return `no RCON login with this server's password on port ${rconPort} (${(err as Error).message})`;
  }
}
