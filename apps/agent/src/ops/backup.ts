import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import * as tar from "tar";
import { SERVER_DIR } from "../placement/placeServer";
import { rconCommand } from "../rcon/rconCommand";
import { sideEffect, type OpContext, type OpOutcome } from "./context";
import { OpFailure } from "./opFailure";

/** Where a backup's archive lives on the host. */
export function backupPath(ctx: Pick<OpContext, "backupDir">, serverId: string, backupId: string): string {
  return join(ctx.backupDir, serverId, `${backupId}.tar.gz`);
}

export async function sha256OfFile(path: string): Promise<{ sha256: string; sizeBytes: number }> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return { sha256: h.digest("hex"), sizeBytes: (await stat(path)).size };
}

/**
 * A consistent copy of the server directory, as a gzipped tar: of a stopped
 * server as it is; of a running one between `save-off` + `save-all` and
 * `save-on` over RCON (the world is flushed and not written meanwhile, the
 * server keeps running). Symlinks are stored as links, never followed.
 * Written to a temporary name and renamed, then measured (size, sha256):
 * what the control plane records is what is on disk.
 */
export async function backup(ctx: OpContext): Promise<OpOutcome> {
  const { op, runtime } = ctx;
  const backupId = op.spec.backup?.backupId;
  if (!backupId) throw new OpFailure("backup_missing", "a backup operation must name its backup", false);
  const ct = await runtime.inspect(op.spec.vmid);
  if (!ct) throw new OpFailure("container_missing", `CT ${op.spec.vmid} does not exist`, false);
  const target = backupPath(ctx, op.serverId, backupId);
  const tmp = `${target}.partial`;
  await mkdir(join(ctx.backupDir, op.serverId), { recursive: true });
  const rcon = async (line: string) => {
    if (!op.spec.rconPassword) throw new OpFailure("rcon_disabled", "a running server without RCON cannot be copied consistently", false);
    return rconCommand(await runtime.address(op.spec.vmid), op.spec.rconPort, op.spec.rconPassword, line, 60_000);
  };
  const live = ct.state === "running";
  sideEffect(ctx);
  if (live) {
    await rcon("save-off");
    await rcon("save-all flush");
  }
  try {
    await runtime.withRootfs(op.spec.vmid, (rootfs) =>
      tar.c({ gzip: true, file: tmp, cwd: join(rootfs, SERVER_DIR), portable: true, follow: false, noDirRecurse: false }, ["."]),
    );
  } catch (err) {
    await rm(tmp, { force: true });
    throw new OpFailure("backup_failed", `could not write the archive: ${(err as Error).message}`, true);
  } finally {
    if (live) await rcon("save-on").catch((err) => ctx.log.warn({ err: (err as Error).message }, "save-on failed"));
  }
  await rename(tmp, target);
  const measured = await sha256OfFile(target);
  ctx.log.info({ vmid: op.spec.vmid, backupId, ...measured, live }, "backup written");
  return { ...measured, live };
}

/** Removes backups' archives (DELETE, or the retention policy); an archive already gone is fine. */
export async function backupDelete(ctx: OpContext): Promise<OpOutcome> {
  const ids = ctx.op.spec.backupIds ?? [];
  sideEffect(ctx);
  for (const id of ids) {
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new OpFailure("bad_backup_id", `refusing backup id ${JSON.stringify(id)}`, false);
    await rm(backupPath(ctx, ctx.op.serverId, id), { force: true });
  }
  ctx.log.info({ removed: ids.length }, "backups removed");
  return { removed: ids };
}
