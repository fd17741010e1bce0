import { spawn, type ChildProcessByStdio } from "node:child_process";
import { closeSync, constants, openSync, readFileSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { OpFailure } from "../ops/opFailure";

/**
 * The container boundary: the only way the agent touches files inside a
 * container's tree. Host root never does; every read, write, hash, listing,
 * removal, archive and extract is done by guestWorker.mjs, a helper process
 * with the container's root identity, rooted at the container's root
 * filesystem, and walking every path without following a
 * link (see the worker). Whatever the customer plants (links to host files,
 * FIFOs, devices, swaps during a walk) can at worst make an operation fail,
 * never read or write a host file, and every request has a deadline after
 * which the worker is killed.
 */
export interface GuestIdentity {
  uid: number;
  gid: number;
  /**
   * The container's id map (Proxmox's and LXC's unprivileged default: 65536
   * ids from `uid`). With it, the worker is the container's root as the
   * container sees it: uid 0 of a user namespace mapped like the container
   * (lxc-usernsexec, which LXC and Proxmox ship and use themselves), whose
   * capabilities reach exactly the files owned by the container's ids (its
   * root's and its game user's: the unit chowns the server directory to
   * `minecraft`), never a host file (owned by unmapped ids). Without it
   * (the sim, whose containers hold files of `uid` only), setpriv drops to
   * that uid/gid with no capabilities.
   */
  mapCount?: number;
}

export interface GuestOptions {
  /** The container's root identity; null: the worker runs as the agent's own user (an agent that is not root). */
  identity: GuestIdentity | null;
  /** Aborts the scope: the worker is killed, the current request fails. */
  signal?: AbortSignal;
  /** Deadline of each file request (a tar request has its own, `archiveTimeoutMs`). */
  timeoutMs?: number;
  archiveTimeoutMs?: number;
  /**
   * The container is running: its processes (the customer's) can swap a
   * directory for a link while we work. Requests that walk safely do not
   * care; GNU tar's extract does (it follows a link swapped into the middle
   * of a path it is writing), so an extract into a live container is refused.
   */
  live?: boolean;
  /** Tests only: another worker source (one that hangs, to test the deadline). */
  workerSource?: string;
}

/** The largest frame the worker may send (a reply, or a data chunk): more is a broken or hostile worker. */
const MAX_FRAME = 16 * 1024 * 1024;

export type EntryType = "file" | "directory" | "symlink" | "FIFO" | "socket" | "character device" | "block device" | "unknown";
export interface Entry {
  type: EntryType;
  size: number;
  mtimeMs: number;
}

const WORKER = fileURLToPath(
  process.env.ZLH_BUNDLED === "1" ? new URL("./guest/guestWorker.mjs", import.meta.url) : new URL("./guestWorker.mjs", import.meta.url),
);
let workerSource: string | undefined;

const JSON_FRAME = 1;
const DATA_FRAME = 2;
const END_FRAME = 3;
const CHUNK = 1 << 20;

function frame(kind: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length + 1, 0);
  head[4] = kind;
  return Buffer.concat([head, payload]);
}

/** Refusals the customer's tree causes: retrying cannot help. */
const PERMANENT = new Set(["unsafe_path", "not_regular_file", "missing", "tar_failed"]);

interface Pending {
  onData?: (chunk: Buffer) => void | Promise<void>;
  resolve: (reply: Record<string, unknown>) => void;
  reject: (err: Error) => void;
}

type Worker = ChildProcessByStdio<Writable, Readable, Readable>;

/** One helper process rooted at one container's rootfs; requests run one at a time. */
export class GuestFiles {
  #child: Worker;
  #pending: Pending | null = null;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #stderr = "";
  #dead: Error | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #exited: Promise<void>;
  readonly #opts: GuestOptions;
  readonly #onAbort = () => this.#fail(new OpFailure("lease_lost", "the operation was aborted; the guest worker was stopped", true));

  private constructor(rootfs: string, opts: GuestOptions) {
    this.#opts = opts;
    const source = opts.workerSource ?? (workerSource ??= readFileSync(WORKER, "utf8"));
    const node = [process.execPath, "--input-type=module", "-e", source];
    const [cmd, ...args] = process.getuid?.() === 0 && opts.identity ? [...dropToContainerRoot(opts.identity), ...node] : node;
    // The rootfs is opened here, before the uid drop (as the agent may reach /proc/<init>/root and the
    // container's root may not), and handed over as fd 3; the worker enters it itself. Node must be started in a
    // directory it can name: a running container's root, in another mount namespace, has no name in ours.
    let rootFd: number;
    try {
      rootFd = openSync(rootfs, constants.O_RDONLY | constants.O_DIRECTORY);
    } catch (err) {
      throw new OpFailure("guest_failed", `the guest worker could not run in ${rootfs}: ${(err as Error).message}`, true);
    }
    try {
      // Its own process group: a kill takes the tar it runs with it.
      this.#child = spawn(cmd!, args, { cwd: "/", stdio: ["pipe", "pipe", "pipe", rootFd], detached: true, env: { PATH: "/usr/bin:/bin", LC_ALL: "C" } }) as unknown as Worker;
    } finally {
      closeSync(rootFd);
    }
    this.#exited = new Promise((r) => this.#child.once("close", () => r()));
    this.#child.once("close", (code, sig) => this.#fail(new OpFailure("guest_failed", `the guest worker exited (${sig ?? code}): ${this.#stderr.trim().slice(-500)}`, true)));
    this.#child.on("error", (err) => this.#fail(new OpFailure("guest_failed", `the guest worker could not run in ${rootfs}: ${err.message}`, true)));
    this.#child.stdin.on("error", () => {}); // reported by close
    this.#child.stderr.on("data", (d: Buffer) => (this.#stderr = (this.#stderr + d.toString()).slice(-4000)));
    this.#child.stdout.on("data", (d: Buffer) => this.#onStdout(d));
    opts.signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** Runs `fn` with a worker rooted at `rootfs`; the worker is killed when it returns or throws, always. */
  static async scope<T>(rootfs: string, opts: GuestOptions, fn: (guest: GuestFiles) => Promise<T>): Promise<T> {
    opts.signal?.throwIfAborted();
    const guest = new GuestFiles(rootfs, opts);
    try {
      return await fn(guest);
    } finally {
      await guest.close();
    }
  }

  /** The entry at `path` (links not followed), or null. */
  async stat(path: string): Promise<Entry | null> {
    return (await this.#request({ op: "stat", path })).entry as Entry | null;
  }

  /** Up to `maxBytes` of the regular file `path` from `offset`, and its size (a missing file: empty, size 0). */
  async read(path: string, offset: number, maxBytes: number): Promise<{ data: Buffer; size: number; exists: boolean }> {
    const chunks: Buffer[] = [];
    const r = await this.#request({ op: "read", path, offset, maxBytes }, { onData: (c) => void chunks.push(c) });
    return { data: Buffer.concat(chunks), size: r.size as number, exists: r.exists as boolean };
  }

  /** The regular file `path` as text, or null if missing; refused above `maxBytes`. */
  async readText(path: string, maxBytes: number): Promise<string | null> {
    const r = await this.read(path, 0, maxBytes + 1);
    if (!r.exists) return null;
    if (r.size > maxBytes) throw new OpFailure("file_too_large", `${path} is ${r.size} bytes, more than the ${maxBytes} expected; refused`, false);
    return r.data.toString("utf8");
  }

  async hash(path: string): Promise<{ sha512: string; size: number; mtimeMs: number } | null> {
    const r = await this.#request({ op: "hash", path });
    return r.sha512 ? { sha512: r.sha512 as string, size: r.size as number, mtimeMs: r.mtimeMs as number } : null;
  }

  /**
   * At most `maxEntries` names in the directory `path` ("" is the rootfs), sorted, read in the directory's order
   * (null if it is missing): `complete` is false when there were more. A directory inside a container is the
   * customer's to fill, so no caller gets it whole.
   */
  async list(path: string, maxEntries: number): Promise<{ names: string[]; complete: boolean } | null> {
    const r = await this.#request({ op: "list", path, maxEntries });
    return r.names === null ? null : { names: r.names as string[], complete: r.complete as boolean };
  }

  /**
   * The greatest name matching `pattern` in the directory `path` (null if none, or if the directory is missing),
   * from at most `maxEntries` entries read in the directory's order: `complete` is false when there were more.
   */
  async greatest(path: string, pattern: RegExp, maxEntries: number): Promise<{ name: string | null; complete: boolean }> {
    const r = await this.#request({ op: "greatest", path, pattern: pattern.source, maxEntries });
    return { name: r.name as string | null, complete: r.complete as boolean };
  }

  async mkdir(path: string): Promise<void> {
    await this.#request({ op: "mkdir", path });
  }

  /** Removes the entry at `path` (a link as a link; a directory only with `recursive`); false if there was none. */
  async remove(path: string, recursive = false): Promise<boolean> {
    return (await this.#request({ op: "remove", path, recursive })).removed as boolean;
  }

  /** In `dir`: `name` moved aside to `old` (if it exists), then `staging` renamed to `name`. */
  async swap(dir: string, name: string, staging: string, old: string): Promise<void> {
    await this.#request({ op: "swap", dir, name, staging, old });
  }

  /** Writes `path` whole (parents created): a temp name of its own, then rename; returns what was written. */
  async write(path: string, data: string | Uint8Array | AsyncIterable<Uint8Array>, mode = 0o644): Promise<{ size: number; mtimeMs: number }> {
    const r = await this.#request({ op: "write", path, mode }, { input: typeof data === "string" ? [Buffer.from(data)] : data instanceof Uint8Array ? [data] : data });
    return { size: r.size as number, mtimeMs: r.mtimeMs as number };
  }

  /** A gzipped tar of the directory `dir` (GNU tar, as the container's root), streamed into `sink`. */
  async archive(dir: string, sink: Writable): Promise<{ warnings: string }> {
    const r = await this.#request({ op: "archive", dir }, { timeoutMs: this.#opts.archiveTimeoutMs ?? 60 * 60_000, onData: (c) => writeAll(sink, c) });
    return { warnings: r.warnings as string };
  }

  /**
   * Extracts the gzipped tar `source` into the (existing) directory `dir`;
   * `stripComponents` drops that many leading directories of every member
   * name, as tar's --strip-components does.
   */
  async extract(dir: string, source: AsyncIterable<Uint8Array>, opts: { stripComponents?: number } = {}): Promise<void> {
    if (this.#opts.live) {
      throw new OpFailure("container_running", `refusing to extract into ${dir} of a running container: its processes could race the extract through a link; stop it first`, false);
    }
    await this.#request({ op: "extract", dir, stripComponents: opts.stripComponents ?? 0 }, { timeoutMs: this.#opts.archiveTimeoutMs ?? 60 * 60_000, input: source });
  }

  /** Stops the worker (and whatever it runs) and waits until it is gone. */
  async close(): Promise<void> {
    this.#opts.signal?.removeEventListener("abort", this.#onAbort);
    this.#kill();
    // SIGKILL of its group ends it at once; the bound only guards against a spawn that never produced a process.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
  }

  #kill() {
    try {
      if (this.#child.pid) process.kill(-this.#child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }

  #fail(err: Error) {
    if (!this.#dead) this.#dead = err;
    this.#kill();
    const p = this.#pending;
    this.#pending = null;
    p?.reject(err);
  }

  #request(msg: Record<string, unknown>, extra: { onData?: Pending["onData"]; input?: Iterable<Uint8Array> | AsyncIterable<Uint8Array>; timeoutMs?: number } = {}) {
    const run = this.#queue.then(() => this.#send(msg, extra));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #send(msg: Record<string, unknown>, extra: { onData?: Pending["onData"]; input?: Iterable<Uint8Array> | AsyncIterable<Uint8Array>; timeoutMs?: number }): Promise<Record<string, unknown>> {
    if (this.#dead) throw this.#dead;
    const timeoutMs = extra.timeoutMs ?? this.#opts.timeoutMs ?? 30_000;
    const reply = new Promise<Record<string, unknown>>((resolve, reject) => (this.#pending = { resolve, reject, onData: extra.onData }));
    const timer = setTimeout(
      () => this.#fail(new OpFailure("guest_timeout", `the guest worker did not finish ${msg.op} ${JSON.stringify(msg.path ?? msg.dir)} within ${timeoutMs} ms; it was killed`, true)),
      timeoutMs,
    );
    try {
      const stdin = this.#child.stdin;
      const send = async (b: Buffer) => {
        if (this.#dead) throw this.#dead;
        if (!stdin.write(b)) await Promise.race([new Promise((r) => stdin.once("drain", r)), reply.catch(() => {})]);
      };
      await send(frame(JSON_FRAME, Buffer.from(JSON.stringify(msg))));
      if (extra.input) {
        for await (const chunk of extra.input) {
          const b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          for (let i = 0; i < b.length; i += CHUNK) await send(frame(DATA_FRAME, b.subarray(i, i + CHUNK)));
        }
        await send(frame(END_FRAME, Buffer.alloc(0)));
      }
      const r = await reply;
      if (r.ok) return r;
      const code = String(r.code);
      throw new OpFailure(code, String(r.message), !PERMANENT.has(code));
    } finally {
      clearTimeout(timer);
    }
  }

  #onStdout(d: Buffer) {
    // Chunks are kept until a whole frame is there, then joined once: joining on every chunk made one
    // large reply (a listing of a directory the customer filled) cost quadratic time on the agent's thread.
    this.#chunks.push(d);
    this.#buffered += d.length;
    for (;;) {
      if (this.#buffered < 5) return;
      if (this.#chunks[0]!.length < 5) this.#chunks = [Buffer.concat(this.#chunks)];
      const len = this.#chunks[0]!.readUInt32BE(0);
      if (len > MAX_FRAME + 1) return this.#fail(new OpFailure("guest_protocol", `the worker sent a frame of ${len} bytes (at most ${MAX_FRAME})`, false));
      if (this.#buffered < 4 + len) return;
      const whole = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
      const payloadEnd = 4 + len;
      const rest = whole.subarray(payloadEnd);
      this.#chunks = rest.length ? [rest] : [];
      this.#buffered = rest.length;
      const kind = whole[4];
      const payload = whole.subarray(5, payloadEnd);
      const p = this.#pending;
      if (!p) continue;
      if (kind === DATA_FRAME) {
        const pushed = p.onData?.(Buffer.from(payload));
        // A slow sink (the backup file) pauses the worker's output instead of buffering it here.
        if (pushed instanceof Promise) {
          this.#child.stdout.pause();
          pushed.then(() => this.#child.stdout.resume(), (err: Error) => this.#fail(err));
        }
      } else if (kind === JSON_FRAME) {
        this.#pending = null;
        try {
          p.resolve(JSON.parse(payload.toString("utf8")) as Record<string, unknown>);
        } catch (err) {
          p.reject(err as Error);
        }
      }
    }
  }
}

function writeAll(sink: Writable, chunk: Buffer): void | Promise<void> {
  if (sink.write(chunk)) return;
  return new Promise((resolve, reject) => {
    sink.once("drain", resolve);
    sink.once("error", reject);
  });
}

/**
 * The command prefix that runs the worker as the container's root: in a user
 * namespace mapped like the container, keeping only the capabilities a file
 * manager needs there (no new privileges, nothing inherited), or, without an
 * id map, as that uid/gid with none at all.
 */
/** The tools dropToContainerRoot runs. */
export const BOUNDARY_TOOLS = ["/usr/bin/lxc-usernsexec", "/usr/bin/setpriv"] as const;

function dropToContainerRoot(id: GuestIdentity): string[] {
  for (const n of [id.uid, id.gid, id.mapCount ?? 1]) if (!Number.isInteger(n) || n < 1) throw new Error(`invalid container identity ${JSON.stringify(id)}`);
  if (id.mapCount === undefined) {
    return ["/usr/bin/setpriv", `--reuid=${id.uid}`, `--regid=${id.gid}`, "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"];
  }
  return [
    "/usr/bin/lxc-usernsexec",
    "-m", `u:0:${id.uid}:${id.mapCount}`,
    "-m", `g:0:${id.gid}:${id.mapCount}`,
    "--",
    "/usr/bin/setpriv", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all,+chown,+dac_override,+dac_read_search,+fowner,+fsetid", "--no-new-privs", "--",
  ];
}
