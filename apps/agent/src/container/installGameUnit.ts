import type { GuestFiles } from "../guest/guestFiles";
import { GAME_UNIT, GAME_USER, SERVER_DIR, renderGameUnit, type GameUnitOptions } from "./gameUnit";

/** Paths as the container boundary takes them: relative to the container's root. */
const UNITS = "etc/systemd/system";
const UNIT_FILE = `${UNITS}/${GAME_UNIT}`;
/**
 * The unit is enabled by a drop-in of multi-user.target (`Wants=`), not the
 * `.wants/` link `systemctl enable` makes: the boundary creates no links
 * (a link is what the customer could aim at a host file), and a drop-in is a
 * plain file systemd reads at boot just the same.
 */
export const ENABLE_DROP_IN = `${UNITS}/multi-user.target.d/zlh-server.conf`;
const ACCOUNT_FILE_MAX = 1024 * 1024;

/**
 * Refuses a container whose init is not systemd: the game is a systemd unit,
 * so in such a container nothing would ever start it. systemd's /sbin/init is
 * a link to its binary; sysvinit's is a binary of its own.
 */
export async function requireSystemd(guest: GuestFiles): Promise<void> {
  const systemd = await statBeside(guest, "lib/systemd/systemd");
  const init = await statBeside(guest, "sbin/init");
  if (systemd?.type !== "file" || (init !== null && init.type !== "symlink")) {
    throw new Error(
      "the container's template has no systemd as init (no /lib/systemd/systemd behind /sbin/init): the game server is a systemd unit, so nothing would start it; use a template with systemd, such as debian-12-standard",
    );
  }
}

/** `path` under `/`, or under `/usr` where the template merges /usr (`/lib` and `/sbin` are links there, which the boundary never follows). */
async function statBeside(guest: GuestFiles, path: string) {
  const top = path.slice(0, path.indexOf("/"));
  const usr = await guest.stat(`usr/${path}`);
  if ((await guest.stat(top))?.type !== "directory") return usr;
  return (await guest.stat(path)) ?? usr;
}

/**
 * Writes zlh-server.service and its enabling drop-in through the container
 * boundary (every file written by the container's root, so owned by it), and
 * adds the unprivileged user it runs as. Done before first boot and again on
 * every placement: a second run rewrites the unit (the heap follows the
 * memory) and changes nothing else.
 */
export async function installGameUnit(guest: GuestFiles, opts: GameUnitOptions): Promise<void> {
  await requireSystemd(guest);
  const unit = renderGameUnit(opts);
  await addSystemUser(guest);
  await writeIfChanged(guest, UNIT_FILE, unit);
  await writeIfChanged(guest, ENABLE_DROP_IN, `# Written by the ZeroLagHub agent: starts the game server at boot.\n[Unit]\nWants=${GAME_UNIT}\n`);
  await guest.mkdir(SERVER_DIR.slice(1));
}

async function writeIfChanged(guest: GuestFiles, path: string, text: string): Promise<void> {
  if ((await guest.readText(path, ACCOUNT_FILE_MAX)) !== text) await guest.write(path, text, 0o644);
}

/**
 * `minecraft`, a system user with no login, in /etc/passwd and /etc/group:
 * the first id free in both from 999 down. /etc/shadow is left alone: it is
 * root:shadow, and a file the container's root rewrites would lose its group
 * (no chown in the boundary); systemd's User= needs only the passwd entry,
 * and an account without a shadow entry cannot log in.
 */
async function addSystemUser(guest: GuestFiles): Promise<void> {
  const passwd = await guest.readText("etc/passwd", ACCOUNT_FILE_MAX);
  if (passwd === null) throw new Error("the container has no /etc/passwd");
  const group = (await guest.readText("etc/group", ACCOUNT_FILE_MAX)) ?? "";
  const userLine = lines(passwd).find((l) => l.startsWith(`${GAME_USER}:`));
  const groupLine = lines(group).find((l) => l.startsWith(`${GAME_USER}:`));
  if (userLine && groupLine) return;
  // A half-done earlier run (the group written, then the agent stopped) keeps the id it chose.
  const id = idOf(userLine) ?? idOf(groupLine) ?? freeSystemId([...lines(passwd), ...lines(group)]);
  if (!groupLine) await guest.write("etc/group", appended(group, `${GAME_USER}:x:${id}:`), 0o644);
  if (!userLine) await guest.write("etc/passwd", appended(passwd, `${GAME_USER}:x:${id}:${id}:Minecraft server:${SERVER_DIR}:/usr/sbin/nologin`), 0o644);
}

function idOf(line: string | undefined): number | null {
  const id = Number(line?.split(":")[2]);
  return line && Number.isInteger(id) && id > 0 ? id : null;
}

function freeSystemId(entries: string[]): number {
  const taken = new Set(entries.map((l) => Number(l.split(":")[2])).filter(Number.isInteger));
  for (let id = 999; id > 100; id--) if (!taken.has(id)) return id;
  throw new Error("no free system id between 101 and 999 in the container's /etc/passwd and /etc/group");
}

function lines(text: string): string[] {
  return text.split("\n");
}

function appended(text: string, line: string): string {
  return `${text}${text === "" || text.endsWith("\n") ? "" : "\n"}${line}\n`;
}
