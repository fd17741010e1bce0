import { chown, lchown, lstat, mkdir, readFile, readlink, rename, symlink, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { GAME_UNIT, GAME_USER, SERVER_DIR, renderGameUnit, type GameUnitOptions } from "./gameUnit";

type Owner = { uid: number; gid: number } | null;

/**
 * Refuses a rootfs whose init is not systemd: the game is a systemd unit,
 * so in such a container nothing would ever start it.
 */
export async function requireSystemd(rootfs: string): Promise<void> {
  const init = await readlink(join(rootfs, "sbin/init")).catch(() => null);
  const systemd = await lstat(join(rootfs, "lib/systemd/systemd")).catch(() => null) ?? (await lstat(join(rootfs, "usr/lib/systemd/systemd")).catch(() => null));
  if (!systemd?.isFile() || (init !== null && !init.endsWith("/systemd"))) {
    throw new Error(
      "the container's template has no systemd as init (no /lib/systemd/systemd behind /sbin/init): the game server is a systemd unit, so nothing would start it; use a template with systemd, such as debian-12-standard",
    );
  }
}

/**
 * Writes zlh-server.service into the rootfs before first boot, enables it
 * (the multi-user.target.wants link `systemctl enable` would make) and adds
 * the unprivileged user it runs as. `owner` is the host id of the
 * container's root (100000 when unprivileged), given to every file written.
 * Run again, it rewrites the unit (e.g. new memory) and changes nothing else.
 */
export async function installGameUnit(rootfs: string, owner: Owner, opts: GameUnitOptions): Promise<void> {
  await requireSystemd(rootfs);
  const unit = renderGameUnit(opts);
  await addSystemUser(rootfs, owner);
  const units = join(rootfs, "etc/systemd/system");
  const wants = join(units, "multi-user.target.wants");
  await mkdir(wants, { recursive: true });
  await regularOrAbsent(join(units, GAME_UNIT));
  await writeFile(join(units, `${GAME_UNIT}.tmp`), unit, { mode: 0o644 });
  if (owner) await chown(join(units, `${GAME_UNIT}.tmp`), owner.uid, owner.gid);
  await rename(join(units, `${GAME_UNIT}.tmp`), join(units, GAME_UNIT));
  const link = join(wants, GAME_UNIT);
  await unlink(link).catch(() => {});
  await symlink(`/etc/systemd/system/${GAME_UNIT}`, link);
  if (owner) await lchown(link, owner.uid, owner.gid);
  await mkdir(join(rootfs, SERVER_DIR), { recursive: true });
  if (owner) await chown(join(rootfs, SERVER_DIR), owner.uid, owner.gid);
}

/** A file this writes over must be a plain file (or absent): a link would send the write elsewhere on the host. */
async function regularOrAbsent(path: string): Promise<void> {
  const st = await lstat(path).catch(() => null);
  if (st && !st.isFile()) throw new Error(`refusing to write ${path}: it is not a regular file`);
}

/** `minecraft`, a system user with no login and no password, in passwd, group and shadow; the first free id from 999 down. */
async function addSystemUser(rootfs: string, owner: Owner): Promise<void> {
  const files = { passwd: join(rootfs, "etc/passwd"), group: join(rootfs, "etc/group"), shadow: join(rootfs, "etc/shadow") };
  for (const f of Object.values(files)) await regularOrAbsent(f);
  const passwd = await readFile(files.passwd, "utf8");
  if (passwd.split("\n").some((l) => l.startsWith(`${GAME_USER}:`))) return;
  const group = await readFile(files.group, "utf8").catch(() => "");
  const taken = new Set([...passwd.split("\n"), ...group.split("\n")].map((l) => Number(l.split(":")[2])).filter(Number.isInteger));
  let id = 999;
  while (taken.has(id) && id > 100) id--;
  if (taken.has(id)) throw new Error("no free system id between 101 and 999 in the container's /etc/passwd");
  await append(files.passwd, `${GAME_USER}:x:${id}:${id}:Minecraft server:${SERVER_DIR}:/usr/sbin/nologin\n`, owner, 0o644);
  await append(files.group, `${GAME_USER}:x:${id}:\n`, owner, 0o644);
  await append(files.shadow, `${GAME_USER}:!:19700::::::\n`, owner, 0o640);
}

async function append(path: string, line: string, owner: Owner, mode: number): Promise<void> {
  const before = await readFile(path, "utf8").catch(() => "");
  const st = await lstat(path).catch(() => null);
  const tmp = `${path}.zlh.tmp`;
  await writeFile(tmp, `${before}${before === "" || before.endsWith("\n") ? "" : "\n"}${line}`, { mode: st ? st.mode & 0o7777 : mode });
  // Keep the file's owner and group (shadow is root:shadow); a new file gets the container's root.
  if (st) await chown(tmp, st.uid, st.gid);
  else if (owner) await chown(tmp, owner.uid, owner.gid);
  await rename(tmp, path);
}
