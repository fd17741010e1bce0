// The agent's hands inside a container's filesystem. Runs as the container's
// root identity (on pct and lxc: uid 0 of a user namespace mapped like the
// container, with file capabilities only; on the sim: 100000:100000 without
// any; no new privileges either way: guestFiles.ts), never as host root, rooted at the
// container's root filesystem, which the agent opens before the uid drop. Only
// node: builtins, only paths relative to that cwd: the agent passes this
// source with -e, because the checkout may be unreadable to the container's
// uid, and so may the rootfs's parents.
//
// Protocol over stdio, one request at a time: frames of [u32 length][u8 kind]
// [payload], kind 1 = JSON, 2 = a data chunk, 3 = end of data. A request is a
// JSON frame (then data frames and an end frame for write/extract); the answer
// is zero or more data frames then one JSON frame { ok, ... } or
// { ok: false, code, message }.
//
// Every path is walked one component at a time from the rootfs: lstat (a
// directory, not a link), chdir, then stat(".") must be the same dev/ino, so
// a link swapped in meanwhile is never followed (Node has no openat2). Final
// components are opened O_NOFOLLOW|O_NONBLOCK and fstat'ed: anything but a
// regular file where one is expected is refused, so a FIFO or a device never
// blocks or is read.
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { once } from "node:events";

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
// The agent opened the rootfs before the uid drop and passed it as fd 3 (node starts in "/": a running
// container's root, /proc/<init>/root, has no name node could start in).
process.chdir("/proc/self/fd/3");
fs.closeSync(3);
const ROOT_FD = fs.openSync(".", O_RDONLY | fs.constants.O_DIRECTORY);
const TAR = "/usr/bin/tar";

class Refusal extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

// ---- framing
function frame(kind, payload) {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length + 1, 0);
  head[4] = kind;
  fs.writeSync(1, head);
  for (let off = 0; off < payload.length; ) off += fs.writeSync(1, payload, off);
}
const sendJson = (obj) => frame(1, Buffer.from(JSON.stringify(obj)));
const sendData = (buf) => {
  for (let i = 0; i < buf.length; i += 1 << 20) frame(2, buf.subarray(i, i + (1 << 20)));
};

let pending = Buffer.alloc(0);
const frames = [];
let waiter = null;
let ended = false;
let child = null;
process.stdin.on("data", (chunk) => {
  pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
  while (pending.length >= 5) {
    const len = pending.readUInt32BE(0);
    if (pending.length < 4 + len) break;
    frames.push({ kind: pending[4], payload: pending.subarray(5, 4 + len) });
    pending = pending.subarray(4 + len);
  }
  if (waiter && frames.length) waiter();
});
process.stdin.on("end", () => {
  // The agent is gone or done: nothing may outlive it.
  ended = true;
  if (child) child.kill("SIGKILL");
  process.exit(0);
});
async function nextFrame() {
  while (!frames.length) {
    if (ended) process.exit(0);
    await new Promise((r) => (waiter = r));
    waiter = null;
  }
  return frames.shift();
}

// ---- safe traversal
function parts(path, allowEmpty = false) {
  if (typeof path !== "string" || path.length > 4096 || path.includes("\0") || path.startsWith("/")) throw new Refusal("unsafe_path", `refusing path ${JSON.stringify(path)}`);
  if (path === "" && allowEmpty) return [];
  const p = path.split("/");
  if (p.some((s) => s === "" || s === "." || s === "..")) throw new Refusal("unsafe_path", `refusing path ${JSON.stringify(path)}`);
  return p;
}

function typeOf(st) {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "directory";
  if (st.isSymbolicLink()) return "symlink";
  if (st.isFIFO()) return "FIFO";
  if (st.isSocket()) return "socket";
  if (st.isCharacterDevice()) return "character device";
  if (st.isBlockDevice()) return "block device";
  return "unknown";
}

/** chdir into the directory `dirs` (relative to the rootfs), each component checked; false if one is missing (and not created). */
function enter(dirs, create) {
  process.chdir(`/proc/self/fd/${ROOT_FD}`);
  for (let i = 0; i < dirs.length; i++) {
    const name = dirs[i];
    let st = fs.lstatSync(name, { throwIfNoEntry: false });
    if (!st && create) {
      try {
        fs.mkdirSync(name, 0o755);
      } catch (err) {
        if (err.code !== "EEXIST") throw err;
      }
      st = fs.lstatSync(name, { throwIfNoEntry: false });
    }
    if (!st) return false;
    const shown = dirs.slice(0, i + 1).join("/");
    if (!st.isDirectory()) throw new Refusal("unsafe_path", `${shown} is a ${typeOf(st)}, not a directory; refused`);
    process.chdir(name);
    const here = fs.statSync(".");
    if (here.dev !== st.dev || here.ino !== st.ino) throw new Refusal("unsafe_path", `${shown} changed while it was walked (a link swapped in); refused`);
  }
  return true;
}

/** An open fd of the regular file `name` in the cwd, or null if there is none; anything else is refused. */
function openRegular(shown, name) {
  const st = fs.lstatSync(name, { throwIfNoEntry: false });
  if (!st) return null;
  if (!st.isFile()) throw new Refusal("not_regular_file", `${shown} is a ${typeOf(st)}, not a regular file; refused`);
  let fd;
  try {
    fd = fs.openSync(name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    if (err.code === "ELOOP") throw new Refusal("not_regular_file", `${shown} is a symlink, not a regular file; refused`);
    if (err.code === "ENOENT") return null;
    throw err;
  }
  const fst = fs.fstatSync(fd);
  if (!fst.isFile() || fst.ino !== st.ino) {
    fs.closeSync(fd);
    throw new Refusal("not_regular_file", `${shown} is a ${typeOf(fst)}, not a regular file (swapped while opened); refused`);
  }
  return { fd, st: fst };
}

function locate(path, create = false) {
  const p = parts(path);
  return { dirs: p.slice(0, -1), name: p[p.length - 1], found: enter(p.slice(0, -1), create) };
}

/** A request's cap on the entries it reads: a positive integer, or the request is refused. */
function entryCap(maxEntries) {
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new Refusal("protocol", `maxEntries ${JSON.stringify(maxEntries)} is not a positive integer`);
  return maxEntries;
}

/** Up to `max` names of the cwd, in the directory's order, read one entry at a time; `complete`: there were no more. */
function readNames(max) {
  const dir = fs.opendirSync(".");
  const names = [];
  try {
    for (let entry; names.length < max && (entry = dir.readSync()) !== null; ) names.push(entry.name);
    return { names, complete: names.length < max || dir.readSync() === null };
  } finally {
    dir.closeSync();
  }
}

/** Entries removeTree reads from a directory at a time, so a directory of a million names is never held whole. */
const REMOVE_BATCH = 1000;

// ---- operations
const ops = {
  stat({ path }) {
    const { name, found } = locate(path);
    const st = found ? fs.lstatSync(name, { throwIfNoEntry: false }) : undefined;
    return { entry: st ? { type: typeOf(st), size: st.size, mtimeMs: st.mtimeMs } : null };
  },
  read({ path, offset, maxBytes }) {
    const { name, found } = locate(path);
    const file = found ? openRegular(path, name) : null;
    if (!file) return { size: 0, exists: false };
    try {
      const size = file.st.size;
      let pos = offset;
      const end = Math.min(size, offset + maxBytes);
      const buf = Buffer.alloc(Math.min(1 << 20, Math.max(0, end - pos)));
      while (pos < end) {
        const n = fs.readSync(file.fd, buf, 0, Math.min(buf.length, end - pos), pos);
        if (n <= 0) break;
        sendData(buf.subarray(0, n));
        pos += n;
      }
      return { size, exists: true };
    } finally {
      fs.closeSync(file.fd);
    }
  },
  hash({ path }) {
    const { name, found } = locate(path);
    const file = found ? openRegular(path, name) : null;
    if (!file) return { sha512: null };
    try {
      const h = createHash("sha512");
      const buf = Buffer.alloc(1 << 20);
      for (let n; (n = fs.readSync(file.fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
      return { sha512: h.digest("hex"), size: file.st.size, mtimeMs: file.st.mtimeMs };
    } finally {
      fs.closeSync(file.fd);
    }
  },
  // At most `maxEntries` names of the directory (sorted), read one entry at a time: a directory the customer
  // filled with a million names is never held whole, nor sent. `complete` is false when there were more.
  list({ path, maxEntries }) {
    const p = parts(path, true);
    if (!enter(p, false)) return { names: null, complete: true };
    const { names, complete } = readNames(entryCap(maxEntries));
    return { names: names.sort(), complete };
  },
  // The greatest name matching `pattern` (a RegExp source) in the directory, read one entry at a time (never the
  // whole listing in memory, never sorted) and at most `maxEntries` of them: a directory the customer filled with
  // a million names costs this bounded work. `complete` is false when the cap stopped the reading first.
  greatest({ path, pattern, maxEntries }) {
    const p = parts(path, true);
    if (!enter(p, false)) return { name: null, complete: true };
    const match = new RegExp(pattern);
    entryCap(maxEntries);
    const dir = fs.opendirSync(".");
    let greatest = null;
    let read = 0;
    try {
      for (let entry; read < maxEntries && (entry = dir.readSync()) !== null; read++) {
        if (match.test(entry.name) && (greatest === null || entry.name > greatest)) greatest = entry.name;
      }
      return { name: greatest, complete: read < maxEntries || dir.readSync() === null };
    } finally {
      dir.closeSync();
    }
  },
  mkdir({ path }) {
    enter(parts(path), true);
    return {};
  },
  remove({ path, recursive }) {
    const p = parts(path);
    if (!enter(p.slice(0, -1), false)) return { removed: false };
    const st = fs.lstatSync(p[p.length - 1], { throwIfNoEntry: false });
    if (!st) return { removed: false };
    if (st.isDirectory()) {
      if (!recursive) throw new Refusal("not_regular_file", `${path} is a directory; refused`);
      removeTree(p);
    } else fs.unlinkSync(p[p.length - 1]);
    return { removed: true };
  },
  /** Moves `dir/name` aside to `dir/old` (if it exists) and `dir/staging` to `dir/name`: renames of entries, never of what a link points to. */
  swap({ dir, name, staging, old }) {
    for (const n of [name, staging, old]) parts(n);
    if (!enter(parts(dir), false)) throw new Refusal("missing", `${dir} does not exist`);
    const st = fs.lstatSync(staging, { throwIfNoEntry: false });
    if (!st?.isDirectory()) throw new Refusal("missing", `${dir}/${staging} is not a directory`);
    if (fs.lstatSync(name, { throwIfNoEntry: false })) fs.renameSync(name, old);
    fs.renameSync(staging, name);
    return {};
  },
  async write(req) {
    const { path, mode } = req;
    const { name } = locate(path, true);
    const tmp = `.${name}.zlh-tmp-${randomBytes(4).toString("hex")}`;
    const fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode ?? 0o644);
    let ok = false;
    try {
      for (;;) {
        const f = await nextFrame();
        if (f.kind === 3) {
          req.drained = true;
          break;
        }
        if (f.kind !== 2) throw new Refusal("protocol", "expected data");
        for (let off = 0; off < f.payload.length; ) off += fs.writeSync(fd, f.payload, off);
      }
      fs.fsyncSync(fd);
      ok = true;
    } finally {
      fs.closeSync(fd);
      if (!ok) fs.rmSync(tmp, { force: true });
    }
    try {
      fs.renameSync(tmp, name);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      if (err.code === "EISDIR" || err.code === "ENOTEMPTY") throw new Refusal("not_regular_file", `${path} is a directory, not a regular file; refused`);
      throw err;
    }
    const st = fs.lstatSync(name);
    return { size: st.size, mtimeMs: st.mtimeMs };
  },
  async archive({ dir }) {
    if (!enter(parts(dir), false)) throw new Refusal("missing", `${dir} does not exist`);
    // GNU tar walks with fd-relative opens and stores links, FIFOs and devices as entries (never reads them).
    return runTar(["--create", "--gzip", "--sparse", "--one-file-system", "--numeric-owner", "--file=-", "."], async (tar) => {
      for await (const chunk of tar.stdout) sendData(chunk);
    }, [0, 1]);
  },
  async extract(req) {
    const { dir, stripComponents } = req;
    const strip = stripComponents ?? 0;
    if (!Number.isInteger(strip) || strip < 0 || strip > 16) throw new Refusal("protocol", `stripComponents ${JSON.stringify(stripComponents)} is not an integer from 0 to 16`);
    if (!enter(parts(dir), false)) throw new Refusal("missing", `${dir} does not exist`);
    // --no-same-owner: what is extracted belongs to the container's root (the unit gives the server
    // directory to its game user at start); an absolute member name is stripped of its "/" (exit 0).
    // --strip-components drops leading member directories (a JRE tarball's one top directory).
    return runTar(["--extract", "--gzip", "--no-same-owner", `--strip-components=${strip}`, "--file=-"], async (tar, closed) => {
      let broken = false;
      tar.stdin.on("error", () => (broken = true));
      for (;;) {
        const f = await nextFrame();
        if (f.kind === 3) {
          req.drained = true;
          break;
        }
        if (broken) continue;
        if (!tar.stdin.write(f.payload)) await Promise.race([once(tar.stdin, "drain"), closed]);
      }
      tar.stdin.end();
    }, [0]);
  },
};

async function runTar(args, pump, okCodes) {
  const tar = spawn(TAR, args, { stdio: ["pipe", "pipe", "pipe"], env: { PATH: "/usr/bin:/bin", LC_ALL: "C" } });
  child = tar;
  let stderr = "";
  tar.stderr.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  const closed = once(tar, "close");
  try {
    await pump(tar, closed);
    const [code] = await closed;
    if (!okCodes.includes(code)) throw new Refusal("tar_failed", `tar exited ${code}: ${stderr.trim()}`);
    return { warnings: stderr.trim() };
  } finally {
    child = null;
  }
}

/** Removes the directory `p` and everything in it; each level re-walked and checked, links removed as links. */
function removeTree(p) {
  // A directory the customer removed meanwhile is gone already; never go on from wherever the walk stopped
  // (the cwd would be a parent, which would then be emptied).
  // A batch at a time until the directory reads empty: each listed entry is removed, gone already, or the
  // removal throws, so every batch makes progress; a customer refilling it meanwhile meets the request's deadline.
  if (!enter(p, false)) return;
  for (let batch; (batch = readNames(REMOVE_BATCH).names).length > 0; ) {
    for (const name of batch) {
      if (!enter(p, false)) return;
      const st = fs.lstatSync(name, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) removeTree([...p, name]);
      else fs.unlinkSync(name);
    }
    if (!enter(p, false)) return;
  }
  if (!enter(p.slice(0, -1), false)) return;
  try {
    fs.rmdirSync(p[p.length - 1]);
  } catch (err) {
    if (err.code !== "ENOENT") throw err;
  }
}

async function main() {
  for (;;) {
    const f = await nextFrame();
    if (f.kind !== 1) continue; // a stray data frame of a refused write
    let req;
    try {
      req = JSON.parse(f.payload.toString("utf8"));
      const op = ops[req.op];
      if (!op) throw new Refusal("protocol", `unknown operation ${req.op}`);
      sendJson({ ok: true, ...(await op(req)) });
    } catch (err) {
      // A write or extract refused before its data was read: drain it, so the next request starts clean.
      if (req && (req.op === "write" || req.op === "extract") && !req.drained) {
        while ((await nextFrame()).kind !== 3);
      }
      sendJson({ ok: false, code: err.code && typeof err.code === "string" && !err.code.startsWith("E") ? err.code : "guest_io", message: err.message });
    }
  }
}
main();
