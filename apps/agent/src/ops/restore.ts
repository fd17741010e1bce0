import { access, lchown, lstat, mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import * as tar from "tar";
import { placeServer, SERVER_DIR } from "../placement/placeServer";
import { isRuntimeError } from "../runtime/runtime";
import { backupPath, sha256OfFile } from "./backup";
import { sideEffect, type OpContext, type OpOutcome } from "./context";
import { OpFailure } from "./opFailure";
import { waitUntilAnswering } from "./readiness";

/**
 * A restore: the archive's sha256 is checked first (a backup that does not
 * verify touches nothing), then the server is stopped, its directory
 * emptied and the archive extracted into it (entries that would leave it
 * are refused by tar's own checks: no absolute paths, no `..`, no writing
 * through a link), the server's applied manifest placed over it (the world
 * and the customer's files come from the backup, the platform's files are
 * those the server has now), and the server started again if it is wanted
 * running.
 */
export async function restore(ctx: OpContext): Promise<OpOutcome> {
  const { op, runtime, log } = ctx;
  const b = op.spec.backup;
  if (!b?.sha256) throw new OpFailure("backup_missing", "a restore must name a verified backup", false);
  if (!op.spec.manifest) throw new OpFailure("manifest_missing", "a restore must carry the server's manifest", false);
  const archive = backupPath(ctx, op.serverId, b.backupId);
  if (!(await access(archive).then(() => true, () => false))) throw new OpFailure("backup_missing", `no archive at ${archive}`, false);
  const measured = await sha256OfFile(archive);
  if (measured.sha256 !== b.sha256) throw new OpFailure("backup_corrupt", `the archive's sha256 is ${measured.sha256}, the backup's ${b.sha256}`, false);

  const ct = await runtime.inspect(op.spec.vmid);
  if (!ct) throw new OpFailure("container_missing", `CT ${op.spec.vmid} does not exist`, false);
  if (ct.state === "running") {
    sideEffect(ctx);
    try {
      await runtime.stop(op.spec.vmid, ctx.stopTimeoutMs);
    } catch (err) {
      if (!isRuntimeError(err, "not_running")) throw err;
    }
  }
  sideEffect(ctx);
  await runtime.withRootfs(op.spec.vmid, async (rootfs) => {
    const dir = join(rootfs, SERVER_DIR);
    await mkdir(dir, { recursive: true });
    for (const name of await readdir(dir)) await rm(join(dir, name), { recursive: true, force: true });
    await tar.x({ file: archive, cwd: dir, strict: true, preservePaths: false, preserveOwner: false });
    if (runtime.rootfsOwner) await chownTree(dir, runtime.rootfsOwner);
    await placeServer(rootfs, op.spec, op.spec.manifest!, ctx.artifacts, { owner: runtime.rootfsOwner, signal: ctx.signal });
  });
  log.info({ vmid: op.spec.vmid, backupId: b.backupId }, "backup restored");
  if (!b.start) return { restored: true, started: false };
  sideEffect(ctx);
  await runtime.start(op.spec.vmid);
  const alive = async () => (await runtime.inspect(op.spec.vmid))?.state === "running";
  const status = await waitUntilAnswering(await runtime.address(op.spec.vmid), op.spec.gamePort, ctx.readyTimeoutMs, op.spec.minecraftVersion, ctx.signal, alive);
  return { restored: true, started: true, version: status.version.name };
}

/** Gives every restored entry to the container's root (lchown: links are not followed). */
async function chownTree(dir: string, owner: { uid: number; gid: number }): Promise<void> {
  await lchown(dir, owner.uid, owner.gid);
  for (const name of await readdir(dir)) {
    const p = join(dir, name);
    const st = await lstat(p);
    if (st.isDirectory()) await chownTree(p, owner);
    else await lchown(p, owner.uid, owner.gid);
  }
}
