import { CLEAR_EXIT_COMMAND, RECORD_EXIT_COMMAND } from "./gameExit";

/**
 * The systemd unit that makes the container's OS start the game: in a real
 * container "container started" and "game started" are two events, and the
 * second is systemd's, at boot. The agent heals a dead server itself, so
 * systemd never restarts it (Restart=no).
 */
export const GAME_UNIT = "zlh-server.service";
export const GAME_USER = "minecraft";
export const SERVER_DIR = "/srv/minecraft";
/** Where the unit sends the game's stderr: truncated at every start, so it is this run's (read by crashEvidence.ts). */
export const GAME_STDERR_FILE = "/run/zlh-server.stderr";

/** Where the container's Java of `major` lives: one directory per major version, so a game's Java can be added beside another. */
export function javaHome(major: number): string {
  if (!Number.isInteger(major) || major < 8 || major > 99) throw new Error(`Java ${major} is not a Java major version`);
  return `/opt/zlh/java/${major}`;
}

/**
 * The heap for a container of `memoryMiB`: the JVM sizes its default heap
 * from the HOST's RAM inside LXC, so -Xmx is always given, below the limit.
 * Rule (itzg's): the container has 25 % over the heap for metaspace, thread
 * stacks, code cache, direct buffers and the container's own systemd, so
 * heap = memory / 1.25 (1024 MiB -> 819 MiB, 4096 MiB -> 3276 MiB).
 */
export function heapMiB(memoryMiB: number): number {
  const heap = Math.floor(memoryMiB / 1.25);
  if (!Number.isInteger(memoryMiB) || heap < 128) throw new Error(`a container of ${memoryMiB} MiB leaves less than 128 MiB of heap after the 25 % headroom`);
  return heap;
}

export interface GameUnitOptions {
  memoryMiB: number;
  /** The Java major version the game needs (javaMajor.ts); its java is /opt/zlh/java/<major>/bin/java. */
  javaMajor: number;
  /** The jar in /srv/minecraft started with `-jar <jar> nogui`. Default fabric-server-launch.jar. */
  jar?: string;
  /** Instead of a jar: args files the JVM reads, `java @<file>... nogui` (NeoForge's launch: user_jvm_args.txt, then its unix_args.txt). */
  argFiles?: string[];
  /** Extra JVM flags (e.g. -XX:+UseG1GC), each one token. */
  jvmFlags?: string[];
  /** systemd's stop window before SIGKILL; keep it below the agent's stop timeout (ZLH_STOP_TIMEOUT_MS, 30 s). Default 25. */
  stopTimeoutSec?: number;
}

/** No spaces, quotes, `%` (systemd specifiers) or `$` (variable expansion): a token is passed to java as written. */
const FLAG = /^-[A-Za-z0-9:+=.,_/@-]+$/;
const JAR = /^[A-Za-z0-9][A-Za-z0-9._-]*\.jar$/;
/** A relative path of plain segments ending .txt: no `..`, no space or specifier, so `@<file>` is one token java reads under /srv/minecraft. */
const ARG_FILE = /^[A-Za-z0-9][A-Za-z0-9._+-]*(\/[A-Za-z0-9][A-Za-z0-9._+-]*)*\.txt$/;

export function renderGameUnit(opts: GameUnitOptions): string {
  if (opts.jar !== undefined && opts.argFiles !== undefined) throw new Error("a game unit starts a jar or args files, not both");
  const jar = opts.jar ?? "fabric-server-launch.jar";
  if (!opts.argFiles && !JAR.test(jar)) throw new Error(`not a plain jar file name: ${JSON.stringify(jar)}`);
  for (const f of opts.argFiles ?? []) {
    if (!ARG_FILE.test(f) || f.split("/").some((s) => s === "." || s === "..")) throw new Error(`not a plain args file path: ${JSON.stringify(f)}`);
  }
  const start = opts.argFiles ? opts.argFiles.map((f) => `@${f}`) : ["-jar", jar];
  const flags = opts.jvmFlags ?? [];
  for (const f of flags) {
    if (!FLAG.test(f) || /^-Xm[xs]/.test(f)) throw new Error(`refusing JVM flag ${JSON.stringify(f)}: one token of letters, digits and -:+=.,_/@, and no -Xmx/-Xms (the heap follows the memory)`);
  }
  const stopSec = opts.stopTimeoutSec ?? 25;
  if (!Number.isInteger(stopSec) || stopSec < 1 || stopSec > 3600) throw new Error(`stop timeout ${stopSec} s is not 1 to 3600`);
  const exec = [`${javaHome(opts.javaMajor)}/bin/java`, `-Xmx${heapMiB(opts.memoryMiB)}M`, ...flags, ...start, "nogui"].join(" ");
  return [
    "# Written by the ZeroLagHub agent: the game server, started by the container's systemd at boot.",
    "[Unit]",
    "Description=Minecraft server (ZeroLagHub)",
    "After=network.target",
    "",
    "[Service]",
    "Type=simple",
    `User=${GAME_USER}`,
    `Group=${GAME_USER}`,
    `WorkingDirectory=${SERVER_DIR}`,
    // Files are placed from the host as the container's root; the game writes its world and logs as its own user.
    `ExecStartPre=+/bin/chown -R ${GAME_USER}:${GAME_USER} ${SERVER_DIR}`,
    // How the game last ended, for the agent to tell an OOM kill from another death (gameExit.ts).
    `ExecStartPre=${CLEAR_EXIT_COMMAND}`,
    // The last run's stderr removed last before the game, so the file is this run's (see StandardError below).
    `ExecStartPre=+/bin/rm -f ${GAME_STDERR_FILE}`,
    `ExecStart=${exec}`,
    `ExecStopPost=${RECORD_EXIT_COMMAND}`,
    // This run's stderr (the JVM's own refusals, such as a class built for a newer Java), for crash reports
    // (crashEvidence.ts); stdout stays with the journal. `append:`, not `truncate:`: systemd opens the file
    // anew for every command of the unit, so with truncate: the ExecStopPost that records the exit emptied
    // it right after the game died (seen on a real container: a refusal on stderr, then an empty file).
    `StandardError=append:${GAME_STDERR_FILE}`,
    // Vanilla saves in a shutdown hook on SIGTERM; the JVM then exits 143, which is a clean stop.
    "SuccessExitStatus=143",
    "KillSignal=SIGTERM",
    "KillMode=mixed",
    `TimeoutStopSec=${stopSec}`,
    // The agent heals (it sees the unit's cgroup empty); a restarting systemd would hide a crash loop from it.
    "Restart=no",
    "NoNewPrivileges=yes",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}
