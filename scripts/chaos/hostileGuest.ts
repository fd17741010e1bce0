import { spawn } from "node:child_process";
import { lchown, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import type postgres from "postgres";
import { serverIdFromMarker } from "@zlh/protocol";
import { GUEST_UID, type Canary } from "./canary";
import type { HostSlot } from "./cluster";

/** A customer's server directory, inside the container. */
const SRV = "srv/minecraft";
/** Files the agent and the server expect to be regular files. */
const FILES = ["logs/latest.log", "server.properties", "eula.txt", ".zlh/manifest.json"];
/** Directories a customer may swap for a link. */
const DIRS = [SRV, `${SRV}/world`, `${SRV}/logs`];

export interface HostileWindow {
  hostId: string;
  kind: string;
  from: number;
  to: number;
}

/** What a fault needs from the harness: a seeded generator, counting, and a recovery it waits for at the end. */
export interface FaultKit {
  random: () => number;
  count: (kind: string) => void;
  later: (ms: number, fn: () => Promise<void> | void) => void;
  /** A panel request, as the customer (any control plane that is up); null if it could not be sent. */
  ask: (method: string, path: string) => Promise<{ status: number; body: any } | null>;
}

/** Quoted for sh. */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Refuses (exit 0, nothing done) if any of `paths` is a link: the attacker never follows its own links to the host. */
const guard = (paths: string[]) => paths.map((p) => `[ -L ${q(p)} ] && exit 0`).join("\n");
function parents(path: string): string[] {
  const parts = path.split("/");
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join("/"));
}

/**
 * Hostile-guest faults: the customer's root (uid 100000 on the host when the
 * agent is root) attacking its own container while the agent works in it,
 * preferably while a backup, restore, placement or start is in flight:
 * `srv/minecraft`, `world/` or `logs/` swapped for a link to the host canary
 * (absolute, or by `../`), a file the agent or the server reads (the log,
 * server.properties, eula.txt, the placement record) replaced by a link to a
 * canary file, by a FIFO or by a character device (made by host root at the
 * container's top, where no customer link can redirect it, then moved into
 * place by the guest), a 4 GiB sparse file in the world, invalid UTF-8 and
 * terminal escapes appended to the log. Most swaps come with the customer's
 * own request for work on that tree (a backup, a restart, a restore). Every
 * swap is undone a few seconds
 * later, and only if what the fault planted is still there (the agent may
 * have legitimately replaced it): a FIFO is first opened both ways and fed
 * the file it hid, so a server blocked on it goes on as if it had read the
 * file. The sparse file and the log garbage stay: harmless data. A backup
 * taken meanwhile keeps what it saw (links, FIFOs, devices as entries), so a
 * later restore may bring them back: that server's operations may then fail,
 * which the invariants allow for targeted servers only.
 */
export class HostileGuest {
  /** Servers whose container a hostile fault touched: the only ones whose operations may fail because of it. */
  readonly targeted = new Set<string>();
  readonly windows: HostileWindow[] = [];
  readonly #busy = new Map<string, Promise<unknown>>();
  #n = 0;

  constructor(
    private readonly kit: FaultKit,
    private readonly sql: postgres.Sql,
    private readonly canary: Canary,
  ) {}

  #pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.kit.random() * xs.length)]!;
  }

  /** A container on `h`, preferring one whose server has a backup, restore, placement or start in flight. */
  async #target(h: HostSlot): Promise<{ vmid: number; rootfs: string; serverId: string | null } | null> {
    const busy = (await this.sql`select distinct s.vmid from operations o join servers s on s.id = o.server_id
      where o.status = 'leased' and s.host_id = ${h.id} and o.kind in ('backup', 'restore', 'provision', 'start', 'restart')
      union select vmid from servers where host_id = ${h.id} and change_status = 'applying' order by 1`.catch(() => [])) as unknown as { vmid: number }[];
    let vmid = busy.length > 0 && this.kit.random() < 0.8 ? this.#pick(busy).vmid : null;
    if (vmid === null) {
      const rows = (await this.sql`select vmid from servers where host_id = ${h.id} and status <> 'deleted' order by 1`.catch(() => [])) as unknown as { vmid: number }[];
      if (rows.length === 0) return null;
      vmid = this.#pick(rows).vmid;
    }
    const config = await readFile(join(h.simRoot, String(vmid), "config.json"), "utf8").catch(() => null);
    if (config === null) return null;
    let serverId: string | null = null;
    try {
      serverId = serverIdFromMarker((JSON.parse(config) as { description?: string }).description ?? "");
    } catch {
      serverId = null;
    }
    return { vmid, rootfs: join(h.simRoot, String(vmid), "rootfs"), serverId };
  }

  /** True if something was planted in a container (a window opened), false if `h` had nothing to attack yet. */
  async inject(h: HostSlot): Promise<boolean> {
    const t = await this.#target(h);
    if (!t) return false;
    if (t.serverId) this.targeted.add(t.serverId);
    const n = this.#n++;
    const r = this.kit.random();
    const undoAfter = 1500 + this.kit.random() * 4500;
    let planted = false;
    if (r < 0.3) planted = await this.#linkSwap(h, t.rootfs, this.#pick(DIRS), n, undoAfter, "hostile_dir_link");
    else if (r < 0.45) planted = await this.#linkSwap(h, t.rootfs, `${SRV}/${this.#pick(FILES)}`, n, undoAfter, "hostile_file_link");
    else if (r < 0.65) planted = await this.#special(h, t.rootfs, `${SRV}/${this.#pick(FILES)}`, n, undoAfter, "fifo");
    else if (r < 0.75) planted = await this.#special(h, t.rootfs, `${SRV}/${this.#pick(FILES)}`, n, undoAfter, "device");
    else if (r < 0.87) {
      const script = `${guard(parents(`${SRV}/world/x`))}\nmkdir -p ${SRV}/world && truncate -s 4G ${SRV}/world/hostile-sparse-${n}.bin`;
      if (await this.#run(t.rootfs, script)) {
        this.kit.count("hostile_sparse_4g");
        this.#window(h, "hostile_sparse_4g", undoAfter);
        planted = true;
      }
    } else {
      const log = `${SRV}/logs/latest.log`;
      const bytes = "\\377\\376\\300\\200 \\355\\240\\200 \\033[2J\\033]0;owned\\007 [00:00:00] [Server thread/INFO]: <\\342\\200\\256> \\0 \\n";
      const script = `${guard([...parents(log), log])}\n[ -f ${q(log)} ] || exit 0\nprintf '${bytes}' >> ${q(log)}`;
      if (await this.#run(t.rootfs, script)) {
        this.kit.count("hostile_invalid_utf8_log");
        this.#window(h, "hostile_invalid_utf8_log", undoAfter);
        planted = true;
      }
    }
    if (planted && t.serverId && this.kit.random() < 0.7) await this.#provoke(t.serverId);
    return planted;
  }

  /**
   * The same customer, at the panel, asks for work on its hostile tree while
   * the swap is in place (a backup, a restart, a restore of its newest
   * backup), so the agent meets it rather than only racing it by chance.
   */
  async #provoke(serverId: string): Promise<void> {
    const r = this.kit.random();
    let asked: string | null = null;
    if (r < 0.5) asked = (await this.kit.ask("POST", `/v1/servers/${serverId}/backups`))?.status === 202 ? "backup" : null;
    else if (r < 0.75) asked = (await this.kit.ask("POST", `/v1/servers/${serverId}/restart`))?.status === 202 ? "restart" : null;
    else {
      const list = await this.kit.ask("GET", `/v1/servers/${serverId}/backups`);
      const done = ((list?.body?.items ?? []) as { id: string; status: string }[]).filter((b) => b.status === "completed");
      const newest = done[done.length - 1];
      if (newest) asked = (await this.kit.ask("POST", `/v1/servers/${serverId}/backups/${newest.id}/restore`))?.status === 202 ? "restore" : null;
    }
    if (asked) this.kit.count(`hostile_asked_${asked}`);
  }

  /** `path` moved aside and replaced by a link to a canary path (absolute or relative); undone later if the link is still there. */
  async #linkSwap(h: HostSlot, rootfs: string, path: string, n: number, undoAfter: number, kind: string): Promise<boolean> {
    const target = this.#pick(this.canary.targets());
    const dest = this.kit.random() < 0.5 ? target : relative(join(rootfs, path, ".."), target);
    const aside = `${path}.hostile-${n}`;
    const planted = await this.#run(rootfs, `${guard(parents(path))}
      if [ -e ${q(path)} ] || [ -L ${q(path)} ]; then mv -T ${q(path)} ${q(aside)} || exit 0; fi
      ln -s ${q(dest)} ${q(path)} || exit 0
      echo planted`);
    if (!planted) return false;
    this.kit.count(kind);
    this.#window(h, kind, undoAfter);
    this.kit.later(undoAfter, () =>
      this.#run(rootfs, `${guard(parents(path))}
        [ -L ${q(path)} ] && [ "$(readlink ${q(path)})" = ${q(dest)} ] && rm -f ${q(path)}
        if [ -e ${q(aside)} ] || [ -L ${q(aside)} ]; then
          if [ -e ${q(path)} ] || [ -L ${q(path)} ]; then rm -rf ${q(aside)}; else mv -n -T ${q(aside)} ${q(path)}; fi
        fi`).then(() => {}),
    );
    return true;
  }

  /** A FIFO or a character device (/dev/null's numbers) where a file is expected; undone later if still there. */
  async #special(h: HostSlot, rootfs: string, path: string, n: number, undoAfter: number, what: "fifo" | "device"): Promise<boolean> {
    const aside = `${path}.hostile-${n}`;
    let make = `mkfifo -m 0644 ${q(path)} || exit 0`;
    if (what === "device") {
      // Host root makes it at the container's top (a path no customer link can redirect: mknod does not follow its last component).
      const staged = `.hostile-dev-${n}`;
      if (!(await exec("/usr/bin/mknod", ["-m", "0666", join(rootfs, staged), "c", "1", "3"], rootfs))) return false;
      if (process.getuid?.() === 0) await lchown(join(rootfs, staged), GUEST_UID, GUEST_UID);
      make = `mv -T ${q(staged)} ${q(path)} || { rm -f ${q(staged)}; exit 0; }`;
    }
    const planted = await this.#run(rootfs, `${guard(parents(path))}
      [ -L ${q(path)} ] && exit 0
      if [ -e ${q(path)} ]; then mv -T ${q(path)} ${q(aside)} || exit 0; fi
      ${make}
      echo planted`);
    if (what === "device") await this.#run(rootfs, `rm -f .hostile-dev-${n}`);
    if (!planted) return false;
    const kind = what === "fifo" ? "hostile_fifo" : "hostile_device";
    this.kit.count(kind);
    this.#window(h, kind, undoAfter);
    const test = what === "fifo" ? "-p" : "-c";
    this.kit.later(undoAfter, () =>
      this.#run(rootfs, `${guard(parents(path))}
        if [ ${test} ${q(path)} ]; then
          # A FIFO opened both ways never blocks; whoever waits on it gets the file it hid, then EOF.
          if [ -p ${q(path)} ]; then exec 3<>${q(path)}; [ -f ${q(aside)} ] && timeout 2 cat ${q(aside)} >&3; exec 3>&-; fi
          rm -f ${q(path)}
        fi
        if [ -e ${q(aside)} ] || [ -L ${q(aside)} ]; then
          if [ -e ${q(path)} ] || [ -L ${q(path)} ]; then rm -rf ${q(aside)}; else mv -n -T ${q(aside)} ${q(path)}; fi
        fi`).then(() => {}),
    );
    return true;
  }

  #window(h: HostSlot, kind: string, ms: number) {
    const from = Date.now();
    this.windows.push({ hostId: h.id, kind, from, to: from + ms });
  }

  /**
   * Runs `script` in the container's rootfs as the container's root (no
   * groups, no capabilities), one script per container at a time; true if
   * it printed "planted" or, for a script that prints nothing, succeeded.
   */
  #run(rootfs: string, script: string): Promise<boolean> {
    const prev = this.#busy.get(rootfs) ?? Promise.resolve();
    const next = prev.then(() => {
      const sh = ["/bin/sh", "-c", script.includes("echo planted") ? script : `${script}\necho planted`];
      return process.getuid?.() === 0
        ? exec("/usr/bin/setpriv", [`--reuid=${GUEST_UID}`, `--regid=${GUEST_UID}`, "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--", ...sh], rootfs)
        : exec(sh[0]!, sh.slice(1), rootfs);
    });
    const settled = next.catch(() => false);
    this.#busy.set(rootfs, settled);
    void settled.finally(() => this.#busy.get(rootfs) === settled && this.#busy.delete(rootfs));
    return settled;
  }
}

/** Runs a command with a deadline (10 s, then SIGKILL); true if it printed "planted" or, for mknod, exited 0. */
function exec(cmd: string, args: string[], cwd: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "ignore"], timeout: 10_000, killSignal: "SIGKILL", env: { PATH: "/usr/bin:/bin", LC_ALL: "C" } });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.once("error", () => resolve(false));
    child.once("close", (code) => resolve(cmd.endsWith("mknod") ? code === 0 : out.includes("planted")));
  });
}
