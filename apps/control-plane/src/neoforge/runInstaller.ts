import { spawn } from "node:child_process";
import { chown, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { isSafeRelativePath } from "@zlh/artifacts";

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

export interface InstallerRun {
  /** The temporary directory holding everything; the caller removes it (`dispose`). */
  root: string;
  /** The server directory the installer filled. */
  serverDir: string;
  log: string;
  dispose: () => Promise<void>;
}

export interface RunInstallerOptions {
  installer: Uint8Array;
  /** The installer's file name (`neoforge-<v>-installer.jar`): its log is named after it. */
  installerName: string;
  /** Files put in the server directory first (libraries, Mojang's jar), so an offline install needs nothing else. */
  preplaced: { path: string; bytes: Uint8Array }[];
  java?: string;
  timeoutMs?: number;
  maxLogBytes?: number;
}

/**
 * Runs NeoForge's installer once, `java -jar <installer> --installServer
 * <dir> --offline`, in a sandbox: a new network namespace (`unshare
 * --net`: only a down loopback, so a step that would download fails at
 * once rather than reaching anything), a PID namespace it is the init of,
 * nobody's uid when we are root (sandboxArgv), a fresh temporary directory
 * it alone may write, a time bound (it is killed at it, and everything it
 * started with it) and a bound on its output. `--offline` makes the real installer take only what is in place
 * (LegacyInstaller's Downloader: a present file with its sha1, or its own
 * maven/ entry) and say which file it would have downloaded; the caller
 * pre-places exactly those. The installer is upstream's code, pinned by
 * hash; what it produces is checked after (producedTree.ts).
 */
export async function runInstaller(opts: RunInstallerOptions): Promise<InstallerRun> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*\.jar$/.test(opts.installerName)) throw new Error(`unusable installer name ${JSON.stringify(opts.installerName)}`);
  const root = await mkdtemp(join(tmpdir(), "zlh-neoforge-install-"));
  const dispose = () => rm(root, { recursive: true, force: true });
  try {
    const work = join(root, "work");
    const serverDir = join(root, "server");
    await mkdir(work);
    await mkdir(serverDir);
    const installerPath = join(work, opts.installerName);
    await writeFile(installerPath, opts.installer);
    for (const f of opts.preplaced) {
      if (!isSafeRelativePath(f.path)) throw new Error(`unsafe pre-placed path ${JSON.stringify(f.path)}`);
      await mkdir(dirname(join(serverDir, f.path)), { recursive: true });
      await writeFile(join(serverDir, f.path), f.bytes, { flag: "wx" });
    }
    if (asRoot()) await chownTree(root, SANDBOX_ID);
    const log = await sandboxed(
      [opts.java ?? "java", `-Xmx${INSTALLER_HEAP}`, "-Djava.net.preferIPv4Stack=true", "-jar", installerPath, "--installServer", serverDir, "--offline"],
      work,
      opts.timeoutMs ?? INSTALLER_TIMEOUT_MS,
      opts.maxLogBytes ?? INSTALLER_MAX_LOG_BYTES,
    );
    return { root, serverDir, log, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** The installer JVM's heap: without it the JVM takes a quarter of the control plane's memory. */
const INSTALLER_HEAP = "1g";

/** The uid and gid the installer runs as when the control plane is root: nobody's, so upstream's code can write only its own temporary directory. */
const SANDBOX_ID = 65534;
const asRoot = () => process.getuid?.() === 0;

/**
 * The sandbox around argv: new network and PID namespaces (`--fork`: the
 * installer is the namespace's init, so when it dies, or is killed at a
 * bound, everything it started dies with it, even a process that left its
 * group with setsid; `--kill-child`: it dies with unshare), and a mount
 * namespace of its own with a fresh /proc (no host process to see) and
 * empty /run and /dev/shm: a unix socket is a file, which a network
 * namespace does not cover, and /run holds the local Postgres's (where
 * `trust` would make the installer its superuser) and every service's. As
 * root, the installer then drops to nobody (setpriv, no supplementary
 * groups); otherwise a user namespace maps us to root inside it, which is
 * still only our own uid outside: that mode confines the network, the
 * processes and the sockets, not the files our uid may write (documented in
 * docs/server-types.md#neoforge).
 */
function sandboxArgv(argv: string[]): string[] {
  const ns = ["--net", "--pid", "--fork", "--kill-child", "--mount", "--mount-proc"];
  const hide = 'mount -t tmpfs -o size=1m,mode=755 zlh-run /run && mount -t tmpfs -o size=1m zlh-shm /dev/shm && exec "$@"';
  const inner = asRoot() ? ["setpriv", `--reuid=${SANDBOX_ID}`, `--regid=${SANDBOX_ID}`, "--clear-groups", "--", ...argv] : argv;
  return [...ns, ...(asRoot() ? [] : ["--map-root-user"]), "--", "sh", "-c", hide, "zlh-sandbox", ...inner];
}

function sandboxed(argv: string[], cwd: string, timeoutMs: number, maxLogBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("unshare", sandboxArgv(argv), { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd, LANG: "C.UTF-8" } });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let failure: string | null = null;
    const killGroup = () => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const onData = (b: Buffer) => {
      if (failure) return;
      bytes += b.byteLength;
      if (bytes > maxLogBytes) {
        failure = `the NeoForge installer wrote more than ${maxLogBytes} bytes of output; it was stopped`;
        killGroup();
        return;
      }
      chunks.push(b);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const timer = setTimeout(() => {
      failure ??= `the NeoForge installer did not finish within ${Math.round(timeoutMs / 1000)} s; it was stopped`;
      killGroup();
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new InstallerFailedError(`the NeoForge installer could not be started: ${err.message}`, ""));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      killGroup(); // anything it left behind in its group
      const log = Buffer.concat(chunks).toString("utf8");
      const tail = log.trimEnd().split("\n").slice(-8).join("\n");
      if (failure) reject(new InstallerFailedError(`${failure}. Its last lines:\n${tail}`, log));
      else if (code !== 0) reject(new InstallerFailedError(`the NeoForge installer failed (${signal ?? `exit ${code}`}). Its last lines:\n${tail}`, log));
      else resolve(log);
    });
  });
}

/** Hands the sandbox's directory (made by us, holding only what we wrote) to the installer's uid. */
async function chownTree(dir: string, id: number): Promise<void> {
  await chown(dir, id, id);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await chownTree(p, id);
    else await chown(p, id, id);
  }
}
