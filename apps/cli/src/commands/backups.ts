import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Command } from "commander";
import { CliError, EXIT } from "../exitCodes";
import { ago, bytes, seg, show, table, type Ctx } from "../output";
import { pause } from "../pause";
import { intArg, pageFlags, readPages, type Page, type Run } from "./shared";

interface Backup {
  id: string;
  status: string;
  sizeBytes: number | null;
  sha256: string | null;
  error: string | null;
  createdAt: string;
}

const backupTable = (ctx: Ctx, items: Backup[]) =>
  table(
    ctx,
    ["ID", "STATUS", "SIZE", "SHA256", "CREATED", "ERROR"],
    items.map((b) => [b.id, b.status, bytes(b.sizeBytes), b.sha256?.slice(0, 12), ago(b.createdAt), b.error]),
  );

async function backupPage(ctx: Ctx, server: string, q: URLSearchParams): Promise<Page<Backup>> {
  return (await ctx.client.call<Page<Backup>>("GET", `/v1/servers/${seg(server)}/backups?${q}`)).body;
}

/** One backup of the server, looked for page by page (the list is paged). */
async function findBackup(ctx: Ctx, server: string, id: string): Promise<Backup | undefined> {
  let cursor: string | null = null;
  do {
    const page: Page<Backup> = await backupPage(ctx, server, new URLSearchParams({ limit: "500", ...(cursor ? { cursor } : {}) }));
    const found = page.items.find((b) => b.id === id);
    if (found) return found;
    cursor = page.nextCursor;
  } while (cursor);
  return undefined;
}

export function backupCommands(program: Command, run: Run): void {
  const backups = program.command("backups").alias("backup").description("a server's backups: take, list, restore, delete, download");

  pageFlags(backups.command("list <server>").description("newest first")).action(
    run(async (ctx, o: { limit?: number; cursor?: string; all?: boolean }, server: string) => {
      const body = await readPages((q) => backupPage(ctx, server, q), o);
      show(ctx, body, () => backupTable(ctx, body.items));
    }),
  );

  backups
    .command("create <server>")
    .description("take a backup (consistent: saving is paused while it is copied)")
    .option("--wait", "until it is completed or failed")
    .option("--timeout <seconds>", "give up waiting after this long (exit 7)", intArg, 600)
    .action(
      run(async (ctx, o: { wait?: boolean; timeout: number }, server: string) => {
        let backup = (await ctx.client.call<Backup>("POST", `/v1/servers/${seg(server)}/backups`)).body;
        const deadline = Date.now() + o.timeout * 1000;
        while (o.wait && (backup.status === "pending" || backup.status === "running")) {
          if (ctx.signal.aborted) throw new CliError(`interrupted; backup ${backup.id} goes on`, EXIT.interrupted);
          if (Date.now() > deadline) throw new CliError(`backup ${backup.id} is still ${backup.status} after ${o.timeout} s`, EXIT.waitFailed);
          await pause(500, ctx.signal);
          backup = (await findBackup(ctx, server, backup.id)) ?? backup;
        }
        show(ctx, backup, () => backupTable(ctx, [backup]));
        if (backup.status === "failed") throw new CliError(`backup ${backup.id} failed: ${backup.error ?? "no reason given"}`, EXIT.waitFailed);
      }),
    );

  backups
    .command("restore <server> <backup>")
    .description("restore a completed backup (its sha256 is checked first); the server restarts on it")
    .action(
      run(async (ctx, _o, server: string, backup: string) => {
        const body = (await ctx.client.call("POST", `/v1/servers/${seg(server)}/backups/${seg(backup)}/restore`)).body;
        show(ctx, body, () => ctx.out(`restore of ${backup} accepted`));
      }),
    );

  backups
    .command("delete <server> <backup>")
    .description("delete a backup and its archive")
    .action(
      run(async (ctx, _o, server: string, backup: string) => {
        const body = (await ctx.client.call<Backup>("DELETE", `/v1/servers/${seg(server)}/backups/${seg(backup)}`)).body;
        show(ctx, body, () => ctx.out(`backup ${body.id} deleted`));
      }),
    );

  backups
    .command("download <server> <backup>")
    .description("save a completed backup's archive (checked against its sha256)")
    .option("-o, --output <file>", "where to write it (default <backup>.tar.gz)")
    .action(
      run(async (ctx, o: { output?: string }, server: string, backupId: string) => {
        const backup = await findBackup(ctx, server, backupId);
        if (!backup) throw new CliError(`backup_not_found: no backup ${backupId} of server ${server}`, EXIT.notFound);
        if (backup.status !== "completed" || !backup.sha256) throw new CliError(`the backup is ${backup.status}; only a completed backup can be downloaded`, EXIT.conflict);
        const file = o.output ?? `${backup.id}.tar.gz`;
        const partial = `${file}.partial`;
        const hash = createHash("sha256");
        let size = 0;
        const res = await ctx.client.stream(`/v1/servers/${seg(server)}/backups/${seg(backup.id)}/download`, { accept: "application/octet-stream" });
        const count = new Transform({
          transform(chunk: Buffer, _enc, done) {
            hash.update(chunk);
            size += chunk.length;
            done(null, chunk);
          },
        });
        try {
          await pipeline(res, count, createWriteStream(partial, { mode: 0o600 }), { signal: ctx.signal });
          const sha256 = hash.digest("hex");
          if (sha256 !== backup.sha256) throw new CliError(`the download's sha256 ${sha256} is not the backup's ${backup.sha256}; nothing kept`, EXIT.apiError);
          await rename(partial, file);
        } catch (err) {
          await rm(partial, { force: true });
          if (err instanceof CliError) throw err;
          throw new CliError(`the download was cut off: ${(err as Error).message}`, ctx.signal.aborted ? EXIT.interrupted : EXIT.unavailable);
        }
        const report = { file, sizeBytes: size, sha256: backup.sha256 };
        show(ctx, report, () => ctx.out(`${file}: ${bytes(size)}, sha256 ${backup.sha256} verified`));
      }),
    );
}
