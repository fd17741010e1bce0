import { rm } from "node:fs/promises";
import { installGameLayer } from "../container/gameLayer";
import { placeServer, SERVER_DIR } from "../placement/placeServer";
import { isRuntimeError } from "../runtime/runtime";
import { backupPath, openArchive, sha256OfFile } from "./backup";
import { ensureLeaseHeld, type OpContext, type ResultData } from "./context";
import { fetchArchive } from "./fetchArchive";
import { OpFailure } from "./opFailure";
import { gameEndedCheck } from "./gameEnded";
import { waitUntilAnswering } from "./readiness";
import { serverAddress } from "./serverAddress";

/** The server directory's parent and name (SERVER_DIR is `srv/minecraft`). */
const PARENT = SERVER_DIR.slice(0, SERVER_DIR.lastIndexOf("/"));
const NAME = SERVER_DIR.slice(SERVER_DIR.lastIndexOf("/") + 1);

/**
 * A restore: the archive's sha256 is checked first (a backup that does not
 * verify touches nothing), then the server is stopped and the archive
 * extracted, by GNU tar as the container's root inside the container
 * boundary, into a staging directory beside the server directory
 * (`srv/.zlh-restore-<id>`; tar strips a leading "/" from member names,
 * refuses `..`, and keeps links as links). Only if that succeeds is the
 * staging swapped in for the server directory (renames: a link planted at
 * `srv/minecraft` is moved aside as a link, never emptied through) and the
 * old tree removed; a failed extract leaves the live world as it was. Then
 * the server's applied manifest is placed over it (the world and the
 * customer's files come from the backup, the platform's files are those the
 * server has now), and the server started again if it is wanted running.
 * A backup kept on another host (`fetch`) is fetched first (fetchArchive.ts)
 * and then restored by exactly this path; the fetched copy is removed after.
 */
export async function restore(ctx: OpContext): Promise<ResultData> {
  const { op } = ctx;
  const b = op.spec.backup;
  if (!b?.sha256) throw new OpFailure("backup_missing", "a restore must name a verified backup", false);
  if (!/^[0-9a-f-]{36}$/.test(b.backupId)) throw new OpFailure("bad_backup_id", `refusing backup id ${JSON.stringify(b.backupId)}`, false);
  if (!op.spec.manifest) throw new OpFailure("manifest_missing", "a restore must carry the server's manifest", false);
  const source = b.sourceServerId ?? op.serverId;
  if (!/^[0-9a-f-]{36}$/.test(source)) throw new OpFailure("bad_server_id", `refusing source server id ${JSON.stringify(source)}`, false);
  if (!b.fetch) return restoreFrom(ctx, backupPath(ctx, source, b.backupId));
  const fetched = await fetchArchive(ctx, { backupId: b.backupId, sha256: b.sha256, sizeBytes: b.fetch.sizeBytes });
  try {
    return await restoreFrom(ctx, fetched);
  } finally {
    // The fetched copy is not a backup of any server here: it goes once used (or refused).
    await rm(fetched, { force: true }).catch(() => {});
  }
}

/** The restore itself, of the archive at `archive` (the host's own backup, or one fetched from another host). */
async function restoreFrom(ctx: OpContext, archive: string): Promise<ResultData> {
  const { op, runtime, log } = ctx;
  const b = op.spec.backup!;
  const measured = await sha256OfFile(archive);
  if (measured.sha256 !== b.sha256) throw new OpFailure("backup_corrupt", `the archive's sha256 is ${measured.sha256}, the backup's ${b.sha256}`, false);

  const ct = await runtime.inspect(op.spec.vmid);
  if (!ct) throw new OpFailure("container_missing", `CT ${op.spec.vmid} does not exist`, false);
  if (ct.state === "running") {
    ensureLeaseHeld(ctx);
    try {
      await runtime.stop(op.spec.vmid, ctx.stopTimeoutMs);
    } catch (err) {
      if (!isRuntimeError(err, "not_running")) throw err;
    }
  }
  ensureLeaseHeld(ctx);
  const staging = `.zlh-restore-${b.backupId}`;
  const old = `.zlh-replaced-${b.backupId}`;
  await runtime.withGuest(
    op.spec.vmid,
    async (guest) => {
      // Leftovers of an attempt that died midway are not the customer's files.
      await guest.remove(`${PARENT}/${staging}`, true);
      await guest.remove(`${PARENT}/${old}`, true);
      await guest.mkdir(`${PARENT}/${staging}`);
      const fh = await openArchive(archive);
      try {
        await guest.extract(`${PARENT}/${staging}`, fh.createReadStream({ autoClose: false }));
      } catch (err) {
        await guest.remove(`${PARENT}/${staging}`, true).catch(() => {});
        throw new OpFailure("restore_failed", `the backup could not be extracted; the server's files are untouched: ${(err as Error).message}`, false);
      } finally {
        await fh.close();
      }
      ensureLeaseHeld(ctx);
      await guest.swap(PARENT, NAME, staging, old);
      await guest.remove(`${PARENT}/${old}`, true).catch((err) => log.warn({ vmid: op.spec.vmid, err: (err as Error).message }, "the replaced server directory could not be removed"));
      await placeServer(guest, op.spec, op.spec.manifest!, ctx.artifacts, { signal: ctx.signal });
    },
    ctx.signal,
  );
  log.info({ vmid: op.spec.vmid, backupId: b.backupId }, "backup restored");
  await installGameLayer(ctx, op.spec);
  if (!b.start) return { restored: true, started: false };
  ensureLeaseHeld(ctx);
  await runtime.start(op.spec.vmid);
  const checkGameEnded = gameEndedCheck(ctx);
  const status = await waitUntilAnswering(await serverAddress(ctx), op.spec, ctx.readyTimeoutMs, op.spec.minecraftVersion, ctx.signal, checkGameEnded);
  return { restored: true, started: true, version: status.version.name };
}
