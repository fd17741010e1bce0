import { constants } from "node:fs";
import { access, lstat, readdir, realpath } from "node:fs/promises";
import { basename, delimiter, dirname, isAbsolute, join } from "node:path";

/** The installer's sandbox could not be built as it must be: it is not run rather than run with less confinement. */
export class SandboxRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SandboxRefusedError";
  }
}

export interface SandboxRoot {
  /** The java to run, by its real path (no /etc/alternatives link to follow inside). */
  java: string;
  /**
   * Host paths made visible, read-only, at the same place in the sandbox's
   * root: directories and files are bind-mounted, a top-level link of a
   * merged /usr (`/lib -> usr/lib`) is made again as the same link.
   */
  binds: string[];
}

/** Top-level paths a merged-/usr system has as links into /usr (and an older one as directories). */
const TOP_LEVEL = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];
/** A JRE is a few thousand entries; past this the walk of java's home stops rather than run on. */
const HOME_MAX_ENTRIES = 50_000;

/**
 * What the installer's root is made of: /usr, the merged-/usr links, the
 * dynamic linker's cache, the home of the `java` that runs it (wherever it
 * resolves to) and whatever that home's links point at outside those
 * (Debian's JRE links `conf/` and `lib/security/cacerts` into
 * /etc/java-<n>-openjdk and /etc/ssl/certs/java), as the directories of
 * those targets. Nothing else of the host: not the rest of /etc (the
 * control plane's own configuration and sealed keys), not /run, /tmp,
 * /home, /var, /srv or /opt.
 */
export async function sandboxRoot(javaName: string): Promise<SandboxRoot> {
  const { java, home } = await locateJava(javaName);
  if (home === "/") throw new SandboxRefusedError(`java resolves to ${java}, whose home would be the host's whole root; the NeoForge installer was not run.`);
  const dirs = new Set<string>(["/usr", home]);
  // A program of /usr itself (`/usr/bin/false`) has no home of its own to walk: /usr is shown whole.
  if (home !== "/usr") for (const target of await linkTargets(home)) dirs.add(dirname(target));
  if (await exists("/etc/ld.so.cache")) dirs.add("/etc/ld.so.cache");
  for (const d of dirs) if (d === "/" || d === "/etc" || d === "/run" || d === "/tmp" || d === "/proc" || d === "/dev") throw new SandboxRefusedError(`java's home ${home} links into ${d}, which the NeoForge installer's sandbox does not show; it was not run.`);
  // The sandbox's init matches these against /proc/self/mountinfo (which escapes white space) and hands them to
  // awk (which reads backslashes): a path of other characters is refused rather than shown without its read-only mounts.
  for (const d of dirs) if (!/^\/[A-Za-z0-9._+@/-]*$/.test(d)) throw new SandboxRefusedError(`java's home or what it links to is at ${JSON.stringify(d)}, a path the NeoForge installer's sandbox does not show; it was not run.`);
  const top: string[] = [];
  for (const p of TOP_LEVEL) if (await exists(p)) top.push(p);
  return { java, binds: [...top, ...outermost([...dirs])] };
}

/** `name` (a path, or a name on PATH) by its real path, and its home: the directory above its `bin/`, else its own. */
export async function locateJava(name: string): Promise<{ java: string; home: string }> {
  const java = await realpath(await onPath(name));
  return { java, home: basename(dirname(java)) === "bin" ? dirname(dirname(java)) : dirname(java) };
}

/** A name without a slash is looked up on PATH, as the shell would; the result must be an executable file. */
async function onPath(name: string): Promise<string> {
  const candidates = name.includes("/") ? [name] : (process.env.PATH ?? "/usr/bin:/bin").split(delimiter).filter(isAbsolute).map((d) => join(d, name));
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      if ((await lstat(await realpath(c))).isFile()) return c;
    } catch {
      // not this one
    }
  }
  throw new SandboxRefusedError(`no ${name} to run the NeoForge installer with${name.includes("/") ? "" : " on PATH"}; it was not run.`);
}

/** Every link under `home` whose target is outside it and outside /usr, by the target's real path (a dangling link is left out: nothing to show). */
async function linkTargets(home: string): Promise<string[]> {
  const out: string[] = [];
  let seen = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (++seen > HOME_MAX_ENTRIES) throw new SandboxRefusedError(`java's home ${home} has more than ${HOME_MAX_ENTRIES} entries; the NeoForge installer was not run.`);
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isSymbolicLink()) {
        const target = await realpath(p).catch(() => null);
        if (target && !under(target, home) && !under(target, "/usr")) out.push(target);
      }
    }
  };
  await walk(home);
  return out;
}

/** The paths not inside another of them: a bind of /etc/java-17-openjdk already shows /etc/java-17-openjdk/security. */
function outermost(paths: string[]): string[] {
  const sorted = [...new Set(paths)].sort();
  return sorted.filter((p) => !sorted.some((q) => q !== p && under(p, q)));
}

const under = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith("/") ? dir : `${dir}/`);

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}
