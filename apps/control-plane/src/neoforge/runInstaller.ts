import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { chown, mkdir, open, readdir, readFile, statfs, writeFile, type FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";
import { isSafeRelativePath } from "@zlh/artifacts";
import { TREE_MAX_FILES } from "./producedTree";
import { CgroupUnavailableError, installerCgroup, type InstallerCgroup } from "./memoryCgroup";
import { SANDBOX_INIT } from "./sandboxScript";
import { SandboxRefusedError, sandboxRoot, type SandboxRoot } from "./sandboxRoot";

/** How long one install may take: NeoForge's processors (remapping, patching the game) take a minute or two on a real machine. */
export const INSTALLER_TIMEOUT_MS = 10 * 60_000;
/** The installer logs every library and processor line; past this it is not installing, it is flooding. */
export const INSTALLER_MAX_LOG_BYTES = 4 * 1024 * 1024;

/** The installer ran and failed, timed out or flooded its output: the message ends with its last log lines. */
export class InstallerFailedError extends Error {
  constructor(
    message: string,
    readonly log: string,
  ) {
    super(message);
    this.name = "InstallerFailedError";
  }
}

/**
 * This machine cannot build the sandbox (no java or unshare, no user
 * namespaces, a /proc it cannot mount afresh): the installer was not run.
 * The operator's to fix, not the build's fault, so a resolution retries it
 * (the server stays pending with this as its lastError) rather than fail.
 */
export class SandboxUnavailableError extends InstallerFailedError {
  constructor(message: string, log: string) {
    super(message, log);
    this.name = "SandboxUnavailableError";
  }
}

export interface InstallerRun {
  /** The sandbox's root as the control plane reads it (`/proc/<our pid>/fd/<fd>`): a tmpfs kept alive by that fd alone, the sandbox being gone. */
  root: string;
  /** The server directory the installer filled: for reading; detached from every root, it is no working directory for another process (getcwd fails). */
  serverDir: string;
  log: string;
  /** Closes the fd, which frees the tmpfs: nothing was ever on the host's disk. Never throws. */
  dispose: () => Promise<void>;
}

export interface RunInstallerOptions {
  installer: Uint8Array;
  /** The installer's file name (`neoforge-<v>-installer.jar`): its log is named after it. */
  installerName: string;
  /** Files put in the server directory first (libraries, Mojang's jar), so an offline install needs nothing else. */
  preplaced: { path: string; bytes: Uint8Array }[];
  /** Files of the installer's local source (LOCAL_SOURCE_DIR), by their path in it (`minecraft/<game>/server_mappings.txt`). */
  local?: { path: string; bytes: Uint8Array }[];
  java?: string;
  timeoutMs?: number;
  maxLogBytes?: number;
  /** The work space's size (everything the installer has and writes: INSTALLER_SPACE_BYTES). */
  spaceBytes?: number;
  /** The bound on all the memory the run takes, in a memory cgroup of its own (INSTALLER_MEMORY_BYTES); 0: none but its heap's. */
  memoryBytes?: number;
}

/**
 * Runs NeoForge's installer once, `java -jar /work/build/libs/<installer>
 * --installServer /server --offline`, in a sandbox (sandboxArgv,
 * sandboxScript.ts): new network (only a down loopback, so a step that
 * would download fails at once), PID and mount namespaces; a root of its
 * own, a tmpfs of `spaceBytes` holding /work, /server and /tmp, with /usr
 * and java's home read-only and nothing else of the host; no privileges
 * (nobody's uid when we are root, no capabilities either way); a time bound
 * (it is killed at it, and everything it started with it) and a bound on
 * its output; a memory bound over all it takes (a cgroup of its own,
 * memoryCgroup.ts: its heap, the JVM's native memory, any process it
 * starts and the pages of its tmpfs), the run refused where none can be
 * made unless `memoryBytes` is 0. `--offline` makes the real installer take only what is in
 * place (LegacyInstaller's Downloader: a present file with its sha1, or its
 * own maven/ entry) and say which file it would have downloaded; the caller
 * pre-places exactly those. The jar sits in `build/libs/` so that the
 * installer's local source includes LOCAL_SOURCE_DIR, where the caller puts
 * Mojang's mappings (`local`). The installer is upstream's code, pinned by
 * hash; what it produces is read after the sandbox is gone (through the
 * tmpfs's fd, so nothing can change it while it is read) and checked
 * (producedTree.ts).
 */
export async function runInstaller(opts: RunInstallerOptions): Promise<InstallerRun> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*\.jar$/.test(opts.installerName)) throw new Error(`unusable installer name ${JSON.stringify(opts.installerName)}`);
  for (const f of [...opts.preplaced, ...(opts.local ?? [])]) if (!isSafeRelativePath(f.path)) throw new Error(`unsafe pre-placed path ${JSON.stringify(f.path)}`);
  const spaceBytes = opts.spaceBytes ?? INSTALLER_SPACE_BYTES;
  let sandboxRootOf: SandboxRoot;
  try {
    sandboxRootOf = await sandboxRoot(opts.java ?? "java");
  } catch (err) {
    if (err instanceof SandboxRefusedError) throw new SandboxUnavailableError(err.message, "");
    throw err;
  }
  const memoryBytes = opts.memoryBytes ?? INSTALLER_MEMORY_BYTES;
  const cgroup = memoryBytes > 0 ? await boundedMemory(memoryBytes) : null;
  const argv = [sandboxRootOf.java, `-Xmx${heapMib(memoryBytes)}m`, "-Djava.net.preferIPv4Stack=true", "-jar", `/work/${INSTALLER_DIR}/${opts.installerName}`, "--installServer", "/server", "--offline"];
  return sandboxed(sandboxArgv(sandboxRootOf.binds, spaceBytes, argv), {
    timeoutMs: opts.timeoutMs ?? INSTALLER_TIMEOUT_MS,
    maxLogBytes: opts.maxLogBytes ?? INSTALLER_MAX_LOG_BYTES,
    spaceBytes,
    memoryBytes,
    cgroup,
    place: (root) => placeInputs(root, opts, spaceBytes),
  }).catch(async (err) => {
    await cgroup?.remove(); // done already, unless spawn itself threw: the cgroup never outlives the run either way
    throw err;
  });
}

/**
/**
 * The bound on everything one run takes: its heap (1 GiB), the JVM's
 * native memory (metaspace, threads, the JIT, direct buffers: a few
 * hundred MiB), and the tmpfs pages it writes (a real NeoForge 21.1
 * install about 300 MiB, up to INSTALLER_SPACE_BYTES). 3 GiB leaves a real
 * install room; an installer past it is killed by the kernel's OOM killer,
 * not the host's memory taken.
 */
export const INSTALLER_MEMORY_BYTES = 3 * 1024 * 1024 * 1024;

/**
 * Where in /work the installer jar is put, and the local source that puts
 * beside it. neoforged/LegacyInstaller reads local files from
 * `Downloader.LOCAL` (src/main/java/net/minecraftforge/installer/Downloader.java,
 * LocalSource.detect, added in commit 3df82a1): its own jar's `/maven/`
 * entries, then, when the jar's path is `<X>/build/libs/<jar>`,
 * `<X>/src/main/resources/maven/` (walkFromLibs: a development layout).
 * Before its processors it looks there for `minecraft/<game>/<side>_mappings.txt`
 * and, found, copies it to {MOJMAPS} and skips DOWNLOAD_MOJMAPS
 * ("Skipping mojmaps download due to local cache hit.",
 * installer/actions/PostProcessors.java): that processor runs on server
 * installs too and always downloads Mojang's version manifest, which the
 * sandbox (no network) cannot. This layout is the only way upstream's own
 * code takes the mappings without the network.
 */
const INSTALLER_DIR = "build/libs";
const LOCAL_SOURCE_DIR = "src/main/resources/maven";

/** The installer JVM's heap: without it the JVM takes a quarter of the control plane's memory. */
const INSTALLER_HEAP_MIB = 1024;
/** The heap stays below the memory bound: half of a bound under 2 GiB (the rest is the JVM's own and the tmpfs's). */
const heapMib = (memoryBytes: number) => (memoryBytes > 0 ? Math.min(INSTALLER_HEAP_MIB, Math.floor(memoryBytes / 2 / (1024 * 1024))) : INSTALLER_HEAP_MIB);

/** The run's cgroup; where none can be made the install is refused as the other missing sandbox prerequisites are (retried). */
async function boundedMemory(memoryBytes: number): Promise<InstallerCgroup> {
  try {
    return await installerCgroup(memoryBytes, INSTALLER_MAX_PROCESSES);
  } catch (err) {
    if (!(err instanceof CgroupUnavailableError)) throw err;
    throw new SandboxUnavailableError(
      `${err.message}; the NeoForge installer was not run without its memory bound. Run the control plane as root, delegate it its cgroup (the shipped unit's Delegate=memory pids, see docs/operations.md), or set ZLH_NEOFORGE_INSTALLER_MEMORY_BYTES=0 to bound only its heap.`,
      "",
    );
  }
}
/**
 * The installer's whole writable space (its jar, the pre-placed libraries
 * and Mojang's jar, what it makes, its /tmp): a real NeoForge 21.1 server
 * install is about 300 MiB of that; the produced tree alone may be up to
 * TREE_MAX_BYTES. A tmpfs: it takes memory only as it is filled.
 */
export const INSTALLER_SPACE_BYTES = 1536 * 1024 * 1024;
/** Files and directories in the work space: the produced tree may have TREE_MAX_FILES. */
const INSTALLER_SPACE_INODES = 4 * TREE_MAX_FILES;

/**
 * Processes and threads the installer's uid may have at once (RLIMIT_NPROC,
 * counted by the kernel per uid and user namespace): the real installer is
 * one JVM of a few dozen threads (a hundred or two on a many-core machine);
 * without a bound, one could take the host's whole pid table, and memory
 * with it, for its whole time bound.
 */
export const INSTALLER_MAX_PROCESSES = 512;

/** The uid and gid the installer runs as when the control plane is root: nobody's. */
const SANDBOX_ID = 65534;
const asRoot = () => process.getuid?.() === 0;

/**
 * `unshare` around the sandbox's init (SANDBOX_INIT): new network, IPC (a
 * System V segment outlives its maker: the host's would be its to leave
 * memory in, or to attach to), PID (`--fork`: the init is its PID 1;
 * `--kill-child`: it dies with unshare) and mount namespaces, and when we are not root a user namespace mapping
 * our uid to root inside, the only way an unprivileged process may mount.
 * The installer's command drops every capability (and the bounding set,
 * with no_new_privs), is held to INSTALLER_MAX_PROCESSES and, as root, to nobody with no supplementary groups:
 * inside a user namespace there is only the one uid, so it stays that
 * uid's root with no capabilities, unable to mount, remount a bind
 * read-write or chroot.
 */
function sandboxArgv(binds: string[], spaceBytes: number, argv: string[]): string[] {
  const ns = ["--net", "--ipc", "--pid", "--fork", "--kill-child", "--mount", "--propagation", "private", ...(asRoot() ? [] : ["--user", "--map-root-user"])];
  const drop = ["--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"];
  const as = asRoot() ? [`--reuid=${SANDBOX_ID}`, `--regid=${SANDBOX_ID}`, "--clear-groups", ...drop] : drop;
  // prlimit after setpriv: lowering a limit needs no capability, and the installer then cannot raise it again.
  const bounded = ["prlimit", `--nproc=${INSTALLER_MAX_PROCESSES}`, "--", ...argv];
  return [...ns, "--", "sh", "-c", SANDBOX_INIT, "zlh-sandbox", String(spaceBytes), String(INSTALLER_SPACE_INODES), ...binds, "--", "setpriv", ...as, "--", ...bounded];
}

/** Writes the installer, the pre-placed files and its local source into the sandbox's work space (no installer code has run yet) and, as root, hands /work and /server to its uid. */
async function placeInputs(root: string, opts: RunInstallerOptions, spaceBytes: number): Promise<void> {
  try {
    const files = [
      { at: join(root, "work", INSTALLER_DIR, opts.installerName), bytes: opts.installer },
      ...opts.preplaced.map((f) => ({ at: join(root, "server", f.path), bytes: f.bytes })),
      ...(opts.local ?? []).map((f) => ({ at: join(root, "work", LOCAL_SOURCE_DIR, f.path), bytes: f.bytes })),
    ];
    for (const f of files) {
      await mkdir(dirname(f.at), { recursive: true });
      await writeFile(f.at, f.bytes, { flag: "wx" });
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOSPC") throw new InstallerFailedError(`the NeoForge installer and its pre-placed files do not fit its work space (${mib(spaceBytes)} MiB); it was not run.`, "");
    throw err;
  }
  if (asRoot()) for (const d of ["work", "server"]) await chownTree(join(root, d), SANDBOX_ID);
}

const mib = (b: number) => Math.round(b / (1024 * 1024));

/** Hands a directory we made (holding only what we wrote) to the installer's uid. */
async function chownTree(dir: string, id: number): Promise<void> {
  await chown(dir, id, id);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await chownTree(p, id);
    else await chown(p, id, id);
  }
}

/** statfs's f_type of a tmpfs (linux/magic.h TMPFS_MAGIC). */
const TMPFS_MAGIC = 0x01021994;
/** What the sandbox's init says on fd 3: `ready`, then `exit <status>`. More is not it. */
const MAX_CONTROL_BYTES = 256;

interface SandboxBounds {
  timeoutMs: number;
  maxLogBytes: number;
  spaceBytes: number;
  memoryBytes: number;
  /** Joined at `ready`, before the installer's code runs; removed once the sandbox has ended, however it ended. */
  cgroup: InstallerCgroup | null;
  place: (root: string) => Promise<void>;
}

/**
 * Runs the sandbox to its end: at `ready` the sandbox's root is opened
 * through the init's /proc/<pid>/root (the init was just made and runs no
 * installer code yet) and checked to be the bounded tmpfs, the inputs are
 * placed, and the init is told to go. The fd keeps the tmpfs alive after the
 * sandbox's namespaces are gone, with every process in them: the tree is
 * then read where nothing can change it, and nothing was on the host's disk.
 */
function sandboxed(args: string[], o: SandboxBounds): Promise<InstallerRun> {
  return new Promise((resolve, reject) => {
    const child = spawn("unshare", args, { cwd: "/", detached: true, stdio: ["pipe", "pipe", "pipe", "pipe"], env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", HOME: "/work", LANG: "C.UTF-8" } });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let failure: string | null = null;
    // A failure of the machine (the run could not be put in its cgroup) is retried, as an unbuildable sandbox is.
    let failureKind: typeof InstallerFailedError = InstallerFailedError;
    let control = "";
    let ready: Promise<void> | null = null;
    let status: number | null = null;
    let handle: FileHandle | null = null;
    const root = () => `/proc/${process.pid}/fd/${handle!.fd}`;
    const dispose = async () => {
      const h = handle;
      handle = null;
      await h?.close().catch(() => {});
    };
    const killGroup = () => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const stop = (why: string) => {
      failure ??= why;
      killGroup();
    };
    const onData = (b: Buffer) => {
      if (failure) return;
      bytes += b.byteLength;
      if (bytes > o.maxLogBytes) return stop(`the NeoForge installer wrote more than ${o.maxLogBytes} bytes of output; it was stopped`);
      chunks.push(b);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.stdin!.on("error", () => {}); // the sandbox ended before reading its go: its close says why
    child.stdio[3]!.on("data", (b: Buffer) => {
      control += b.toString("latin1");
      if (control.length > MAX_CONTROL_BYTES) return stop("the NeoForge installer's sandbox said more than it does; it was stopped");
      if (!ready && /^ready\n/.test(control)) ready = onReady();
      const exit = /\nexit (\d{1,3})\n$/.exec(control);
      if (exit) status = Number(exit[1]);
    });
    const onReady = async () => {
      try {
        const keeper = (await readFile(`/proc/${child.pid}/task/${child.pid}/children`, "utf8")).trim();
        if (!/^\d+$/.test(keeper)) throw new Error(`unshare has children ${JSON.stringify(keeper)}, not one`);
        // unshare and its init are the sandbox's only processes now, and the init waits for its go: the installer and
        // everything it starts are born in the cgroup.
        await o.cgroup?.join([child.pid!, Number(keeper)]).catch((err: NodeJS.ErrnoException) => {
          throw new SandboxUnavailableError(`the NeoForge installer's sandbox could not be put in its memory cgroup (${err.code ?? err.message}); it was not run.`, "");
        });
        handle = await open(`/proc/${keeper}/root`, constants.O_RDONLY | constants.O_DIRECTORY);
        const fs = await statfs(root());
        if (fs.type !== TMPFS_MAGIC || fs.blocks * fs.bsize > o.spaceBytes + 1024 * 1024) throw new Error("the sandbox's root is not its bounded tmpfs");
        await o.place(root());
        child.stdin!.end("go\n");
      } catch (err) {
        if (err instanceof SandboxUnavailableError && !failure) failureKind = SandboxUnavailableError;
        stop(err instanceof InstallerFailedError ? err.message.replace(/\.$/, "") : `the NeoForge installer's sandbox could not be entered (${(err as Error).message}); it was not run`);
      }
    };
    const timer = setTimeout(() => stop(`the NeoForge installer did not finish within ${Math.round(o.timeoutMs / 1000)} s; it was stopped`), o.timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      void (async () => {
        await dispose();
        await o.cgroup?.remove();
        reject(new SandboxUnavailableError(`the NeoForge installer could not be started: ${err.message}`, ""));
      })();
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      killGroup(); // anything left in its group
      void (async () => {
        await ready;
        // Read before the cgroup goes; removing it waits for its last process, so none outlives the run.
        const oom = (await o.cgroup?.oomKilled().catch(() => false)) ?? false;
        await o.cgroup?.remove();
        const log = Buffer.concat(chunks).toString("utf8");
        const tail = log.trimEnd().split("\n").slice(-8).join("\n");
        const fail = async (why: string, Failure = InstallerFailedError) => {
          await dispose();
          reject(new Failure(`${why}. Its last lines:\n${tail}`, log));
        };
        if (failure) return fail(failure, failureKind);
        if (oom) return fail(`the NeoForge installer ran out of its memory bound (${mib(o.memoryBytes)} MiB, ZLH_NEOFORGE_INSTALLER_MEMORY_BYTES) and was killed (${status === null ? (signal ?? `exit ${code}`) : `exit ${status}`})`);
        if (!ready || !handle) return fail(`the NeoForge installer's sandbox could not be set up (${signal ?? `exit ${code}`}); it was not run rather than run unconfined`, SandboxUnavailableError);
        if (status === null) return fail(`the NeoForge installer's sandbox ended without the installer's status (${signal ?? `exit ${code}`})`);
        if (status !== 0) {
          const fs = await statfs(root());
          const full = fs.bavail === 0 || fs.ffree === 0 || log.includes("No space left on device");
          return fail(full ? `the NeoForge installer ran out of its work space (${mib(o.spaceBytes)} MiB, ${INSTALLER_SPACE_INODES} files) and failed (exit ${status})` : `the NeoForge installer failed (exit ${status})`);
        }
        resolve({ root: root(), serverDir: join(root(), "server"), log, dispose });
      })();
    });
  });
}
