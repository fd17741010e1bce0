import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArtifactNotFoundError, sha1Hex, sha512Hex, type ArtifactSource } from "@zlh/artifacts";
import { connectDatabase, type Database } from "@zlh/db";
import { testDatabase } from "@zlh/testing";
import { ResolutionError } from "../../src/fabric/errors";
import { neoforgeInstall, neoforgeInstallerUrl } from "../../src/neoforge/install";
import { InstallBusyError } from "../../src/neoforge/installOnce";
import { runInstaller, SandboxUnavailableError } from "../../src/neoforge/runInstaller";
import { buildStandinNeoforge, mojangMappingsDownload, standinServerMappings, type StandinNeoforge } from "../../../../scripts/standinGame/neoforgeInstaller";
import { standinInstallerJava } from "../../../../scripts/standinGame/installerJava";
import { mojangBundler } from "./mojangBundler";
import { upstream } from "./neoforgeUpstream";

const GAME = "1.21.1";
/** 1.21.1's Java (Mojang's javaVersion), and a java that says it is that one (this machine's may be 17). */
const JAVA = { javaMajor: 21, java: standinInstallerJava(21) };
const text = (s: string) => new TextEncoder().encode(s);

describe("a NeoForge install, run once per (game, version) and pinned", () => {
  let database: Database;
  const mojang = mojangBundler(GAME);
  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 8 });
  });
  afterAll(async () => {
    await database.close();
  });

  it("runs the installer once for six concurrent resolutions, and all six pin the same tree", async () => {
    const neo = await buildStandinNeoforge({ version: "21.1.77", game: GAME, mojangInner: mojang.inner });
    const { source, mojang: file, mappings } = upstream(neo, mojang.bundler);
    let runs = 0;
    const counted: typeof runInstaller = (o) => {
      runs++;
      return runInstaller(o);
    };
    const results = await Promise.all(Array.from({ length: 6 }, () => neoforgeInstall(database.db, source, { game: GAME, version: "21.1.77", mojang: file, mappings, ...JAVA, run: counted })));
    expect(runs).toBe(1);
    for (const r of results) expect(r).toEqual(results[0]);
    const byPath = new Map(results[0]!.files.map((f) => [f.path, f]));
    // Upstream's files keep their url; what the installer made has none and is stored by hash.
    expect(byPath.get("libraries/net/neoforged/fancymodloader/loader/4.0.24/loader-4.0.24.jar")?.url).toBe(neo.libraries.find((l) => l.path.endsWith("loader-4.0.24.jar"))!.url);
    expect(byPath.get(`libraries/net/minecraft/server/${GAME}/server-${GAME}.jar`)?.url).toBe(file.url);
    // The installer copied Mojang's mappings from its local source to {MOJMAPS}: those bytes are Mojang's, placed from Mojang's url.
    expect(byPath.get(`libraries/net/minecraft/server/${GAME}-20240808.144430/server-${GAME}-20240808.144430-mappings.txt`)).toMatchObject({ url: mappings.url, sha1: mappings.sha1, size: mappings.size });
    const args = byPath.get("libraries/net/neoforged/neoforge/21.1.77/unix_args.txt")!;
    expect(args.url).toBeUndefined();
    expect(args.sha512).toBe(sha512Hex(text(neo.unixArgs)));
    for (const path of ["run.sh", "user_jvm_args.txt", `libraries/net/minecraft/server/${GAME}/server-${GAME}-unpacked.jar`]) expect(byPath.get(path)?.url).toBeUndefined();
    const made = results[0]!.files.filter((f) => !f.url);
    const stored = await database.db.execute<{ sha512: string; data: Buffer }>(sql`select sha512, data from neoforge_files`);
    expect(new Set(stored.map((r) => r.sha512))).toEqual(new Set(made.map((f) => f.sha512)));
    for (const r of stored) expect(sha512Hex(r.data)).toBe(r.sha512);
    const [count] = await database.db.execute<{ n: number }>(sql`select count(*)::int as n from neoforge_installs`);
    expect(count!.n).toBe(1);
    // A later resolution reads the row: no run.
    await neoforgeInstall(database.db, source, { game: GAME, version: "21.1.77", mojang: file, mappings, ...JAVA, run: counted });
    expect(runs).toBe(1);
  });

  it("lets a resolution wait out another's install past the control plane's statement bound (installs take minutes)", async () => {
    // The control plane bounds every statement (30 s); here 300 ms, and the install takes 1.5 s.
    const bounded = connectDatabase(await testDatabase(), { max: 4, statementTimeoutMs: 300 });
    try {
      const neo = await buildStandinNeoforge({ version: "21.1.84", game: GAME, mojangInner: mojang.inner });
      const { source, mojang: file, mappings } = upstream(neo, mojang.bundler);
      let runs = 0;
      const slow: typeof runInstaller = async (o) => {
        runs++;
        await new Promise((r) => setTimeout(r, 1_500));
        return runInstaller(o);
      };
      const both = await Promise.all([0, 1].map(() => neoforgeInstall(bounded.db, source, { game: GAME, version: "21.1.84", mojang: file, mappings, ...JAVA, run: slow })));
      expect(runs).toBe(1);
      expect(both[1]).toEqual(both[0]);
    } finally {
      await bounded.close();
    }
  });

  it("waits for another control plane's install of the same build holding no connection", async () => {
    // The other control plane: its own pool, holding the build's lock in its transaction as its install would.
    const url = await testDatabase();
    const here = connectDatabase(url, { max: 4 });
    const other = connectDatabase(url, { max: 1 });
    try {
      const neo = await buildStandinNeoforge({ version: "21.1.87", game: GAME, mojangInner: mojang.inner });
      const { source, mojang: file, mappings } = upstream(neo, mojang.bundler);
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let locked!: (pid: number) => void;
      const holding = new Promise<number>((r) => (locked = r));
      const otherInstall = other.db.transaction(async (tx) => {
        const [me] = await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid, pg_advisory_xact_lock(hashtextextended('zlh:neoforge:1.21.1:21.1.87', 0))`);
        locked(me!.pid);
        await released;
        await tx.execute(sql`insert into neoforge_installs (game, neoforge_version, installer_sha512, files) values (${GAME}, '21.1.87', 'recorded-by-the-other', '[]'::jsonb)`);
      });
      const otherPid = await holding;
      let runs = 0;
      let busy = 0;
      let twice!: () => void;
      const waitedTwice = new Promise<void>((r) => (twice = r));
      const waiter = neoforgeInstall(here.db, source, {
        game: GAME,
        version: "21.1.87",
        mojang: file,
        mappings,
        ...JAVA,
        run: (o) => {
          runs++;
          return runInstaller(o);
        },
        wait: { onBusy: () => ++busy === 2 && twice() },
      });
      // A waiter blocked in Postgres instead (pg_advisory_xact_lock, holding its connection) is seen as such, rather than hanging the test.
      let looking = true;
      const blockedInPostgres = (async () => {
        while (looking) {
          const lockWaits = await here.db.execute(sql`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
          if (lockWaits.length > 0) throw new Error("the waiter waits for the lock in Postgres, holding a pooled connection");
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      try {
        await Promise.race([waitedTwice, blockedInPostgres, waiter.then(() => Promise.reject(new Error("the waiter did not wait")))]);
      } finally {
        looking = false;
      }
      await blockedInPostgres;
      // Between its looks, no backend but the other's is in a transaction or waiting for a lock.
      const activity = await here.db.execute<{ state: string; wait: string | null }>(
        sql`select state, wait_event_type as wait from pg_stat_activity where datname = current_database() and pid not in (pg_backend_pid(), ${otherPid}) and state <> 'idle'`,
      );
      expect(activity).toEqual([]);
      release();
      await otherInstall;
      expect(await waiter).toEqual({ game: GAME, version: "21.1.87", installerSha512: "recorded-by-the-other", files: [] });
      expect(runs).toBe(0);
    } finally {
      await other.close();
      await here.close();
    }
  });

  it("gives up with a retryable error when another's install of the same build outlasts the wait", async () => {
    const url = await testDatabase();
    const here = connectDatabase(url, { max: 2 });
    const other = connectDatabase(url, { max: 1 });
    try {
      const neo = await buildStandinNeoforge({ version: "21.1.90", game: GAME, mojangInner: mojang.inner });
      const { source, mojang: file, mappings } = upstream(neo, mojang.bundler);
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const holding = new Promise<void>((r) => (locked = r));
      const otherInstall = other.db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended('zlh:neoforge:1.21.1:21.1.90', 0))`);
        locked();
        await released;
      });
      await holding;
      const err = await neoforgeInstall(here.db, source, { game: GAME, version: "21.1.90", mojang: file, mappings, ...JAVA, wait: { maxWaitMs: 0 } }).catch((e) => e);
      release();
      await otherInstall;
      expect(err).toBeInstanceOf(InstallBusyError);
      expect(err).not.toBeInstanceOf(ResolutionError); // the job retries it
      expect(err.message).toBe("another process was still installing NeoForge 21.1.90 for Minecraft 1.21.1 after 0 s; the resolution is retried later.");
    } finally {
      await other.close();
      await here.close();
    }
  });

  it("does not take its turn after the wait's bound while this process installs another build", async () => {
    const [first, second] = await Promise.all(["21.1.91", "21.1.92"].map((version) => buildStandinNeoforge({ version, game: GAME, mojangInner: mojang.inner })));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const held: typeof runInstaller = async (o) => {
      started();
      await released;
      return runInstaller(o);
    };
    const a = upstream(first!, mojang.bundler);
    const installing = neoforgeInstall(database.db, a.source, { game: GAME, version: "21.1.91", mojang: a.mojang, mappings: a.mappings, ...JAVA, run: held });
    await running;
    const b = upstream(second!, mojang.bundler);
    let runs = 0;
    const queued = neoforgeInstall(database.db, b.source, {
      game: GAME,
      version: "21.1.92",
      mojang: b.mojang,
      mappings: b.mappings,
      ...JAVA,
      wait: { maxWaitMs: 0 },
      run: (o) => {
        runs++;
        return runInstaller(o);
      },
    }).catch((e) => e);
    release();
    expect((await installing).version).toBe("21.1.91");
    const err = await queued;
    expect(err).toBeInstanceOf(InstallBusyError);
    expect(err.message).toBe("this control plane was still installing other NeoForge builds after 0 s; the resolution of NeoForge 21.1.92 for Minecraft 1.21.1 is retried later.");
    expect(runs).toBe(0);
  });

  it("runs one install at a time in a process", async () => {
    let running = 0;
    let most = 0;
    const overlapping: typeof runInstaller = async (o) => {
      most = Math.max(most, ++running);
      try {
        return await runInstaller(o);
      } finally {
        running--;
      }
    };
    const builds = await Promise.all(["21.1.88", "21.1.89"].map((version) => buildStandinNeoforge({ version, game: GAME, mojangInner: mojang.inner })));
    const done = await Promise.all(
      builds.map((neo) => {
        const { source, mojang: file, mappings } = upstream(neo, mojang.bundler);
        return neoforgeInstall(database.db, source, { game: GAME, version: neo.version, mojang: file, mappings, ...JAVA, run: overlapping });
      }),
    );
    expect(done.map((d) => d.version)).toEqual(["21.1.88", "21.1.89"]);
    expect(most).toBe(1);
  });

  it("refuses an installer whose sha256 is not the one NeoForge's Maven publishes, and writes no install", async () => {
    const neo = await buildStandinNeoforge({ version: "21.1.78", game: GAME, mojangInner: mojang.inner });
    const { source, mojang: file, mappings } = upstream(neo, mojang.bundler, { [`${neoforgeInstallerUrl("21.1.78")}.sha256`]: text(`${"0".repeat(64)}  neoforge-21.1.78-installer.jar`) });
    await expect(neoforgeInstall(database.db, source, { game: GAME, version: "21.1.78", mojang: file, mappings, ...JAVA })).rejects.toThrow(/hash mismatch for https:\/\/maven\.neoforged\.net\/.*publishes sha256 0{64}/);
    const rows = await database.db.execute(sql`select 1 from neoforge_installs where neoforge_version = '21.1.78'`);
    expect(rows).toHaveLength(0);
  });

  it("checks the installer against .sha1 where NeoForge's Maven has no .sha256, and refuses one with neither", async () => {
    const neo = await buildStandinNeoforge({ version: "21.1.83", game: GAME, mojangInner: mojang.inner });
    const sha256Url = `${neoforgeInstallerUrl("21.1.83")}.sha256`;
    const without = (extra: Record<string, Uint8Array>) => {
      const u = upstream(neo, mojang.bundler, extra);
      return { ...u, source: { ...u.source, fetchBytes: (url: string) => (url === sha256Url ? Promise.reject(new ArtifactNotFoundError(url)) : u.source.fetchBytes(url)) } };
    };
    const wrongSha1 = without({ [`${neoforgeInstallerUrl("21.1.83")}.sha1`]: text("f".repeat(40)) });
    await expect(neoforgeInstall(database.db, wrongSha1.source, { game: GAME, version: "21.1.83", mojang: wrongSha1.mojang, mappings: wrongSha1.mappings, ...JAVA })).rejects.toThrow(/publishes sha1 f{40}, the file has/);
    const neither = without({});
    await expect(neoforgeInstall(database.db, neither.source, { game: GAME, version: "21.1.83", mojang: neither.mojang, mappings: neither.mappings, ...JAVA })).rejects.toThrow(
      `NeoForge's Maven publishes no sha256 or sha1 for ${neoforgeInstallerUrl("21.1.83")}; refused.`,
    );
    const rightSha1 = without({ [`${neoforgeInstallerUrl("21.1.83")}.sha1`]: text(`${sha1Hex(neo.installer)}  neoforge-21.1.83-installer.jar`) });
    expect((await neoforgeInstall(database.db, rightSha1.source, { game: GAME, version: "21.1.83", mojang: rightSha1.mojang, mappings: rightSha1.mappings, ...JAVA })).version).toBe("21.1.83");
  });

  it("refuses Mojang's mappings when their bytes are not the sha1 Mojang's version JSON publishes, before running anything", async () => {
    const neo = await buildStandinNeoforge({ version: "21.1.85", game: GAME, mojangInner: mojang.inner });
    const right = standinServerMappings(GAME);
    const wrong = right.map((b, i) => (i === 0 ? b ^ 1 : b)); // the same size: only the sha1 tells
    const { source, mojang: file, mappings } = upstream(neo, mojang.bundler, { [mojangMappingsDownload(right).url]: wrong });
    let runs = 0;
    const counted: typeof runInstaller = (o) => {
      runs++;
      return runInstaller(o);
    };
    await expect(neoforgeInstall(database.db, source, { game: GAME, version: "21.1.85", mojang: file, mappings, ...JAVA, run: counted })).rejects.toThrow(
      new ResolutionError(`hash mismatch for ${mappings.url}: upstream publishes sha1 ${mappings.sha1}, the file has ${sha1Hex(wrong)}`),
    );
    expect(runs).toBe(0);
    expect(await database.db.execute(sql`select 1 from neoforge_installs where neoforge_version = '21.1.85'`)).toHaveLength(0);
  });

  /** The stand-in's upstream, recording every URL asked of it. */
  const watchedUpstream = (neo: StandinNeoforge) => {
    const u = upstream(neo, mojang.bundler);
    const asked: string[] = [];
    const source: ArtifactSource = { ...u.source, fetchBytes: (url) => (asked.push(url), u.source.fetchBytes(url)) };
    return { ...u, source, asked };
  };

  /** Refused with `message` having fetched nothing but the installer, run nothing and recorded no install. */
  const refusedBeforeAnything = async (neo: StandinNeoforge, withMappings: boolean, message: string) => {
    const u = watchedUpstream(neo);
    let runs = 0;
    const counted: typeof runInstaller = (o) => (runs++, runInstaller(o));
    await expect(neoforgeInstall(database.db, u.source, { game: GAME, version: neo.version, mojang: u.mojang, mappings: withMappings ? u.mappings : null, ...JAVA, run: counted })).rejects.toThrow(
      new ResolutionError(message),
    );
    expect(runs).toBe(0);
    expect(u.asked.filter((url) => !url.includes("-installer.jar"))).toEqual([]);
    expect(await database.db.execute(sql`select 1 from neoforge_installs where neoforge_version = ${neo.version}`)).toHaveLength(0);
  };

  it("installs a profile with no DOWNLOAD_MOJMAPS step with no mappings: none fetched, none given, none pinned (a game Mojang publishes none for)", async () => {
    const u = watchedUpstream(await buildStandinNeoforge({ version: "21.1.100", game: GAME, mojangInner: mojang.inner, withoutMojmaps: true }));
    const given: Parameters<typeof runInstaller>[0][] = [];
    const recorded: typeof runInstaller = (o) => (given.push(o), runInstaller(o));
    const install = await neoforgeInstall(database.db, u.source, { game: GAME, version: "21.1.100", mojang: u.mojang, mappings: null, ...JAVA, run: recorded });
    expect(given).toHaveLength(1);
    expect(given[0]!.local ?? []).toEqual([]);
    expect(u.asked).not.toContain(u.mappings.url);
    expect(install.files.some((f) => f.path.endsWith("-mappings.txt"))).toBe(false);
    expect(install.files.map((f) => f.path)).toContain("libraries/net/neoforged/neoforge/21.1.100/unix_args.txt");
    // Mappings offered for such a profile are not fetched either.
    const offered = watchedUpstream(await buildStandinNeoforge({ version: "21.1.101", game: GAME, mojangInner: mojang.inner, withoutMojmaps: true }));
    await neoforgeInstall(database.db, offered.source, { game: GAME, version: "21.1.101", mojang: offered.mojang, mappings: offered.mappings, ...JAVA });
    expect(offered.asked).not.toContain(offered.mappings.url);
  });

  it("refuses a profile whose server-side DOWNLOAD_MOJMAPS needs mappings the game has none of, before fetching or running anything", async () => {
    await refusedBeforeAnything(
      await buildStandinNeoforge({ version: "21.1.102", game: GAME, mojangInner: mojang.inner }),
      false,
      "the NeoForge 21.1.102 installer runs DOWNLOAD_MOJMAPS on a server install, but Minecraft 1.21.1 has no server mappings (downloads.server_mappings); refused.",
    );
  });

  it("refuses an installer from before LegacyInstaller's local-mappings skip (it would download them offline), before running anything", async () => {
    await refusedBeforeAnything(
      await buildStandinNeoforge({ version: "21.1.103", game: GAME, mojangInner: mojang.inner, predatesOfflineMappings: true }),
      true,
      "the NeoForge 21.1.103 installer runs DOWNLOAD_MOJMAPS on a server install and predates offline mappings (LegacyInstaller before 2024-04-12): it would download Mojang's mappings, which its sandbox cannot; choose a newer NeoForge build.",
    );
    // The same old installer with no DOWNLOAD_MOJMAPS step needs no skip: it installs.
    const old = await buildStandinNeoforge({ version: "21.1.104", game: GAME, mojangInner: mojang.inner, predatesOfflineMappings: true, withoutMojmaps: true });
    const oldUpstream = upstream(old, mojang.bundler);
    expect((await neoforgeInstall(database.db, oldUpstream.source, { game: GAME, version: "21.1.104", mojang: oldUpstream.mojang, mappings: null, ...JAVA })).version).toBe("21.1.104");
  });

  it("refuses an installer that installs another build or game than asked for", async () => {
    const neo = await buildStandinNeoforge({ version: "21.1.79", game: GAME, mojangInner: mojang.inner });
    const { source, mojang: file, mappings } = upstream({ ...neo, version: "21.1.80" }, mojang.bundler);
    await expect(neoforgeInstall(database.db, source, { game: GAME, version: "21.1.80", mojang: file, mappings, ...JAVA })).rejects.toThrow(
      new ResolutionError("the NeoForge 21.1.80 installer installs neoforge 21.1.79 for Minecraft 1.21.1, not for 1.21.1; refused."),
    );
  });

  it("refuses a library upstream does not have before running anything", async () => {
    const neo = await buildStandinNeoforge({ version: "21.1.81", game: GAME, mojangInner: mojang.inner, omitLibrary: true });
    const { source, mojang: file, mappings } = upstream(neo, mojang.bundler);
    let runs = 0;
    const counted: typeof runInstaller = (o) => {
      runs++;
      return runInstaller(o);
    };
    await expect(neoforgeInstall(database.db, source, { game: GAME, version: "21.1.81", mojang: file, mappings, ...JAVA, run: counted })).rejects.toThrow(
      "upstream has no file at https://maven.neoforged.net/releases/net/neoforged/fancymodloader/loader/4.0.24/loader-4.0.24.jar",
    );
    expect(runs).toBe(0);
  });

  it("leaves a machine that cannot build the sandbox retryable (not the build's refusal) and records nothing", async () => {
    const neo = await buildStandinNeoforge({ version: "21.1.99", game: GAME, mojangInner: mojang.inner });
    const { source, mojang: file, mappings } = upstream(neo, mojang.bundler);
    const noJava: typeof runInstaller = (o) => runInstaller({ ...o, java: "zlh-no-such-java" });
    const err = await neoforgeInstall(database.db, source, { game: GAME, version: "21.1.99", mojang: file, mappings, ...JAVA, run: noJava }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxUnavailableError);
    expect(err).not.toBeInstanceOf(ResolutionError);
    expect((err as Error).message).toBe("no zlh-no-such-java to run the NeoForge installer with on PATH; it was not run.");
    expect(await database.db.execute(sql`select 1 from neoforge_installs where neoforge_version = '21.1.99'`)).toHaveLength(0);
  });

  it("refuses a profile whose libraries declare more than the work space holds, before fetching any (each is read up to its declared size)", async () => {
    const neo = await buildStandinNeoforge({ version: "21.1.93", game: GAME, mojangInner: mojang.inner, loaderDeclaredSize: 8 * 1024 ** 3 });
    const { source, mojang: file, mappings } = upstream(neo, mojang.bundler);
    const asked: string[] = [];
    const counting: ArtifactSource = { ...source, fetchBytes: (url) => (asked.push(url), source.fetchBytes(url)) };
    let runs = 0;
    const counted: typeof runInstaller = (o) => (runs++, runInstaller(o));
    await expect(neoforgeInstall(database.db, counting, { game: GAME, version: "21.1.93", mojang: file, mappings, ...JAVA, run: counted })).rejects.toThrow(
      /^the NeoForge 21\.1\.93 installer, its libraries and Mojang's jar and mappings are \d+ bytes together, more than its work space \(1610612736 bytes\) holds; refused before any was downloaded\.$/,
    );
    expect(asked.filter((u) => u.includes("/libraries/") || u.includes("fancymodloader") || u.includes("piston-data"))).toEqual([]);
    expect(runs).toBe(0);
  });

  it("turns a failed run into a resolution failure and records nothing", async () => {
    const neo = await buildStandinNeoforge({ version: "21.1.82", game: GAME, mojangInner: mojang.inner });
    const { source, mojang: file, mappings } = upstream(neo, mojang.bundler);
    const failing: typeof runInstaller = (o) => runInstaller({ ...o, java: "false" });
    await expect(neoforgeInstall(database.db, source, { game: GAME, version: "21.1.82", mojang: file, mappings, ...JAVA, run: failing })).rejects.toThrow(ResolutionError);
    await expect(neoforgeInstall(database.db, source, { game: GAME, version: "21.1.82", mojang: file, mappings, ...JAVA, run: failing })).rejects.toThrow(/the NeoForge installer failed \(exit 1\)/);
    expect(await database.db.execute(sql`select 1 from neoforge_installs where neoforge_version = '21.1.82'`)).toHaveLength(0);
  });

  it("decides the launch over the walked tree: a link the installer leaves to a host file is refused, never read", async () => {
    const neo = await buildStandinNeoforge({ version: "21.1.86", game: GAME, mojangInner: mojang.inner });
    const { source, mojang: file, mappings } = upstream(neo, mojang.bundler);
    const secretDir = await mkdtemp(join(tmpdir(), "zlh-secret-"));
    const secret = join(secretDir, "shadow");
    await writeFile(secret, "TOPSECRET-line -Dx=1\n");
    // A hostile installer: its args file is a link to a host file the control plane can read.
    const hostile: typeof runInstaller = async (o) => {
      const run = await runInstaller(o);
      await rm(join(run.serverDir, "user_jvm_args.txt"));
      await symlink(secret, join(run.serverDir, "user_jvm_args.txt"));
      return run;
    };
    const err = await neoforgeInstall(database.db, source, { game: GAME, version: "21.1.86", mojang: file, mappings, ...JAVA, run: hostile }).catch((e) => e);
    await rm(secretDir, { recursive: true, force: true });
    expect(err).toBeInstanceOf(ResolutionError);
    expect(err.message).not.toMatch(/TOPSECRET/);
    expect(err.message).toMatch(/user_jvm_args\.txt/);
    expect(await database.db.execute(sql`select 1 from neoforge_installs where neoforge_version = '21.1.86'`)).toHaveLength(0);
  });
});
