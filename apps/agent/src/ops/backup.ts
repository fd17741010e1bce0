import { createHash } from "node:crypto";
import { constants, createWriteStream } from "node:fs";
import { chmod, mkdir, open, rename, rm, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { SERVER_DIR } from "../placement/placeServer";
import { rconCommand } from "../rcon/rconCommand";
import { ensureLeaseHeld, type OpContext, type ResultData } from "./context";
import { OpFailure } from "./opFailure";
import { serverAddress } from "./serverAddress";

/** Where a backup's archive lives on the host. */
export function backupPath(ctx: Pick<OpContext, "backupDir">, serverId: string, backupId: string): string {
  return join(ctx.backupDir, serverId, `${backupId}.tar.gz`);
}

/**
 * Opens an archive for reading as a regular file only: never through a link
 * at its name (O_NOFOLLOW), never waiting on a FIFO or device (O_NONBLOCK,
 * then fstat), so whatever was put at that path, the agent reads no other
 * host file and does not block. Missing: `backup_missing`.
 */
export async function openArchive(path: string): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new OpFailure("backup_missing", `no archive at ${path}`, false);
    if (code === "ELOOP") throw new OpFailure("not_regular_file", `${path} is a symbolic link, not an archive`, false);
    throw err;
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw new OpFailure("not_regular_file", `${path} is not a regular file`, false);
  }
  return fh;
}

export async function sha256OfFile(path: string): Promise<{ sha256: string; sizeBytes: number }> {
  const h = createHash("sha256");
  const fh = await openArchive(path);
  try {
    let sizeBytes = 0;
    for await (const chunk of fh.createReadStream({ autoClose: false })) {
      h.update(chunk as Buffer);
      sizeBytes += (chunk as Buffer).length;
    }
    return { sha256: h.digest("hex"), sizeBytes };
  } finally {
    await fh.close();
  }
}

/**
 * A consistent copy of the server directory, as a gzipped tar: of a stopped
 * server as it is; of a running one between `save-off` + `save-all` and
 * `save-on` over RCON (the world is flushed and not written meanwhile, the
 * server keeps running; `save-on` is sent whatever happened once `save-off`
 * may have been). The archive is made by GNU tar as the container's root
 * inside the container boundary (links stored as links, FIFOs and devices
 * as entries, nothing followed or read with host root's powers) and
 * streamed out. The agent writes it 0600 in 0700 directories (it holds
 * server.properties with the RCON password), to a temporary name renamed
 * when complete, then measures it (size, sha256): what the control plane
 * records is what is on disk.
 */
export async function backup(ctx: OpContext): Promise<ResultData> {
  const { op, runtime } = ctx;
  const backupId = op.spec.backup?.backupId;
  if (!backupId) throw new OpFailure("backup_missing", "a backup operation must name its backup", false);
  if (!/^[0-9a-f-]{36}$/.test(backupId)) throw new OpFailure("bad_backup_id", `refusing backup id ${JSON.stringify(backupId)}`, false);
  const ct = await runtime.inspect(op.spec.vmid);
  if (!ct) throw new OpFailure("container_missing", `CT ${op.spec.vmid} does not exist`, false);
  const target = backupPath(ctx, op.serverId, backupId);
  const tmp = `${target}.partial`;
  await privateDir(ctx.backupDir);
  await privateDir(join(ctx.backupDir, op.serverId));
  const rcon = async (line: string) => {
    if (!op.spec.rconPassword) throw new OpFailure("rcon_disabled", "a running server without RCON cannot be copied consistently", false);
    return rconCommand(await serverAddress(ctx), op.spec.rconPort, op.spec.rconPassword, line, 60_000);
  };
  const live = ct.state === "running";
  ensureLeaseHeld(ctx);
  let warnings = "";
  try {
    if (live) {
      await rcon("save-off");
      await rcon("save-all flush");
    }
    await rm(tmp, { force: true });
    const sink = createWriteStream(tmp, { flags: "wx", mode: 0o600 });
    const closed = new Promise<void>((resolve, reject) => sink.once("close", resolve).once("error", reject));
    try {
      ({ warnings } = await runtime.withGuest(op.spec.vmid, (guest) => guest.archive(SERVER_DIR, sink), ctx.signal));
    } finally {
      sink.end();
      await closed;
    }
  } catch (err) {
    await rm(tmp, { force: true });
    if (err instanceof OpFailure && err.code === "rcon_disabled") throw err;
    throw new OpFailure("backup_failed", `could not write the archive: ${(err as Error).message}`, !(err instanceof OpFailure) || err.retryable);
  } finally {
    if (live) await rcon("save-on").catch((err) => ctx.log.warn({ err: (err as Error).message }, "save-on failed"));
  }
  await rename(tmp, target);
  const measured = await sha256OfFile(target);
  ctx.log.info({ vmid: op.spec.vmid, backupId, ...measured, live, ...(warnings ? { warnings: warnings.slice(0, 500) } : {}) }, "backup written");
  return { ...measured, live };
}

/** A directory only the agent (host root) can enter: backups hold the servers' RCON passwords. */
async function privateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  await chmod(path, 0o700);
}

/** Removes backups' archives (DELETE, or the retention policy); an archive already gone is fine. */
export async function backupDelete(ctx: OpContext): Promise<ResultData> {
  const ids = ctx.op.spec.backupIds ?? [];
  ensureLeaseHeld(ctx);
  for (const id of ids) {
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new OpFailure("bad_backup_id", `refusing backup id ${JSON.stringify(id)}`, false);
    await rm(backupPath(ctx, ctx.op.serverId, id), { force: true });
  }
  ctx.log.info({ removed: ids.length }, "backups removed");
  return { removed: ids };
}
