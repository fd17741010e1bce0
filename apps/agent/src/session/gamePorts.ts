import { isIPv4 } from "node:net";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { OperationSpec, SpecNetwork } from "@zlh/protocol";
import { writeFileAtomic } from "../placement/atomicWrite";

export type GameTarget = Pick<OperationSpec, "gamePort" | "network"> & { serverId: string };

/** More containers than a host holds; a file past these bounds is not the agent's and is ignored. */
const MAX_TARGETS = 10_000;
const MAX_FILE_BYTES = 4 * 1024 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BRIDGE = /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/;

/**
 * Where each container's game answers (its server, game port and network,
 * from the operations' specs), kept in the agent's state directory
 * (game-ports.json) so that an agent restarted pings the servers at once,
 * not only after an operation ran on each. Written whole and atomically
 * (temp file, fsync, rename) whenever it changes, one write at a time; read
 * once at start, every entry checked: a file that is unreadable, too large
 * or malformed is ignored with a warning (the ports are learnt again from
 * the next operations), never a crash.
 */
export class GamePorts {
  readonly #file: string;
  #writing: Promise<void> = Promise.resolve();

  constructor(
    stateDir: string,
    private readonly log?: Logger,
  ) {
    this.#file = join(stateDir, "game-ports.json");
  }

  /** What an earlier run of the agent kept (empty when there is nothing valid). */
  async load(): Promise<Map<number, GameTarget>> {
    const targets = new Map<number, GameTarget>();
    let text: string | null;
    try {
      text = (await stat(this.#file)).size > MAX_FILE_BYTES ? null : await readFile(this.#file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.log?.warn({ err: (err as Error).message }, "could not read the game ports; they are learnt again from the next operations");
      return targets;
    }
    const entries = text === null ? null : parse(text);
    if (!entries) {
      this.log?.warn({ file: this.#file }, "the game ports file is malformed or too large; ignored (the ports are learnt again from the next operations)");
      return targets;
    }
    for (const [vmid, target] of entries) targets.set(vmid, target);
    return targets;
  }

  /** Writes `targets` (after any write under way); a failure is logged: the ports stay known in memory. */
  save(targets: ReadonlyMap<number, GameTarget>): Promise<void> {
    const data = JSON.stringify([...targets].map(([vmid, t]) => ({ vmid, ...t })));
    this.#writing = this.#writing.then(() =>
      writeFileAtomic(this.#file, data).catch((err) => this.log?.warn({ err: (err as Error).message }, "could not write the game ports; kept in memory only")),
    );
    return this.#writing;
  }

  /** Resolves once every write asked for so far is done (or failed). */
  settled(): Promise<void> {
    return this.#writing;
  }
}

/** The file's entries, or null when anything in it is not a valid entry. */
function parse(text: string): [number, GameTarget][] | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(value) || value.length > MAX_TARGETS) return null;
  const entries: [number, GameTarget][] = [];
  for (const e of value as Record<string, unknown>[]) {
    if (typeof e !== "object" || e === null) return null;
    const { vmid, serverId, gamePort, network } = e;
    if (!Number.isInteger(vmid) || (vmid as number) < 1 || (vmid as number) > 999_999_999) return null;
    if (typeof serverId !== "string" || !UUID.test(serverId)) return null;
    if (!Number.isInteger(gamePort) || (gamePort as number) < 1 || (gamePort as number) > 65_535) return null;
    if (network !== undefined && !isNetwork(network)) return null;
    entries.push([vmid as number, { serverId, gamePort: gamePort as number, ...(network ? { network } : {}) }]);
  }
  return entries;
}

/** The spec's network, as the protocol allows it (messages.ts SpecNetwork). */
function isNetwork(n: unknown): n is SpecNetwork {
  if (typeof n !== "object" || n === null) return false;
  const o = n as Record<string, unknown>;
  if (typeof o.bridge !== "string" || !BRIDGE.test(o.bridge)) return false;
  if (o.mode === "dhcp") return Object.keys(o).length === 2;
  const prefix = o.prefix;
  return Object.keys(o).length === 4 && typeof o.address === "string" && isIPv4(o.address) && typeof o.gateway === "string" && isIPv4(o.gateway) && Number.isInteger(prefix) && (prefix as number) >= 1 && (prefix as number) <= 30;
}
