import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArtifactSource } from "@zlh/artifacts";
import { connectDatabase, type Database } from "@zlh/db";
import { testDatabase } from "@zlh/testing";
import { ResolutionError } from "../../src/fabric/errors";
import { neoforgeInstall } from "../../src/neoforge/install";
import { installerJava } from "../../src/neoforge/installerJava";
import { runInstaller, SandboxUnavailableError } from "../../src/neoforge/runInstaller";
import { buildStandinNeoforge } from "../../../../scripts/standinGame/neoforgeInstaller";
import { standinInstallerJava } from "../../../../scripts/standinGame/installerJava";
import { waitFor } from "../../../../test/support/processes";
import { enrollHost, serverBody, startTestPlane } from "../harness";
import { mojangBundler } from "./mojangBundler";
import { upstream } from "./neoforgeUpstream";

const GAME = "1.21.1";

describe("the java that runs NeoForge's installer (ZLH_NEOFORGE_JAVA), checked against the game's Java first", () => {
  let database: Database;
  let base: string;
  const mojang = mojangBundler(GAME);
  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 4 });
    base = await mkdtemp(join(tmpdir(), "zlh-installer-java-"));
  });
  afterAll(async () => {
    await database.close();
    await rm(base, { recursive: true, force: true });
  });

  /** A Java home whose `release` says `version` and whose bin/java, if it were ever run, would leave a mark. */
  const javaHome = async (name: string, release: string | null) => {
    const home = join(base, name);
    await mkdir(join(home, "bin"), { recursive: true });
    const mark = join(base, `${name}.ran`);
    await writeFile(join(home, "bin/java"), `#!/bin/sh\ntouch ${mark}\n`);
    await chmod(join(home, "bin/java"), 0o755);
    if (release !== null) await writeFile(join(home, "release"), release);
    return { java: join(home, "bin/java"), home, mark };
  };

  /** A new build's upstream, counting what is fetched, and a runner counting runs and the java each was given. */
  const newBuild = async (version: string) => {
    const neo = await buildStandinNeoforge({ version, game: GAME, mojangInner: mojang.inner });
    const u = upstream(neo, mojang.bundler);
    const fetched: string[] = [];
    const source: ArtifactSource = { ...u.source, fetchBytes: (url) => (fetched.push(url), u.source.fetchBytes(url)) };
    const javas: (string | undefined)[] = [];
    const run: typeof runInstaller = (o) => (javas.push(o.java), runInstaller(o));
    return { source, mojang: u.mojang, mappings: u.mappings, fetched, javas, run, installed: () => database.db.execute(sql`select 1 from neoforge_installs where neoforge_version = ${version}`) };
  };

  it("runs the installer with the configured java by its real path (a link to it is followed), and records the install", async () => {
    const java = standinInstallerJava(21);
    const link = join(base, "java-link");
    await symlink(java, link);
    const b = await newBuild("21.1.70");
    const install = await neoforgeInstall(database.db, b.source, { game: GAME, version: "21.1.70", mojang: b.mojang, mappings: b.mappings, javaMajor: 21, java: link, run: b.run });
    expect(b.javas).toEqual([await realpath(java)]);
    expect(install.files.map((f) => f.path)).toContain("libraries/net/neoforged/neoforge/21.1.70/unix_args.txt");
    expect(await b.installed()).toHaveLength(1);
  });

  it("refuses a java older than the game's, read from its release file: not run, nothing fetched, nothing recorded, retried", async () => {
    const old = await javaHome("jdk-11", 'IMPLEMENTOR="Eclipse Adoptium"\nJAVA_VERSION="11.0.2"\n');
    const b = await newBuild("21.1.71");
    const err = await neoforgeInstall(database.db, b.source, { game: GAME, version: "21.1.71", mojang: b.mojang, mappings: b.mappings, javaMajor: 21, java: old.java, run: b.run }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxUnavailableError);
    expect(err).not.toBeInstanceOf(ResolutionError);
    expect((err as Error).message).toBe(
      `NeoForge 21.1.71 for Minecraft 1.21.1 needs Java 21 or newer to install, and ZLH_NEOFORGE_JAVA is ${JSON.stringify(old.java)}: ${old.java} is Java 11; the installer was not run. Point ZLH_NEOFORGE_JAVA at a Java 21 (see docs/server-types.md).`,
    );
    expect(existsSync(old.mark)).toBe(false);
    expect(b.javas).toEqual([]);
    expect(b.fetched).toEqual([]);
    expect(await b.installed()).toHaveLength(0);
  });

  it("refuses a path with no java, a name not on PATH, and a home that does not say its version", async () => {
    const b = await newBuild("21.1.72");
    const attempt = (java: string) => neoforgeInstall(database.db, b.source, { game: GAME, version: "21.1.72", mojang: b.mojang, mappings: b.mappings, javaMajor: 21, java, run: b.run });
    const needs = `NeoForge 21.1.72 for Minecraft 1.21.1 needs Java 21 or newer to install, and ZLH_NEOFORGE_JAVA is`;
    const after = "the installer was not run. Point ZLH_NEOFORGE_JAVA at a Java 21 (see docs/server-types.md).";
    const missing = join(base, "no-jdk/bin/java");
    await expect(attempt(missing)).rejects.toThrow(new SandboxUnavailableError(`${needs} ${JSON.stringify(missing)}: no executable file there; ${after}`, ""));
    await expect(attempt("zlh-no-such-java")).rejects.toThrow(`${needs} "zlh-no-such-java": no such executable on PATH; ${after}`);
    const bare = await javaHome("jdk-bare", null);
    await expect(attempt(bare.java)).rejects.toThrow(`${needs} ${JSON.stringify(bare.java)}: ${bare.java} has no ${join(bare.home, "release")} to read its version from; ${after}`);
    const unnamed = await javaHome("jdk-unnamed", 'IMPLEMENTOR="Someone"\n');
    await expect(attempt(unnamed.java)).rejects.toThrow(`${needs} ${JSON.stringify(unnamed.java)}: ${join(unnamed.home, "release")} names no JAVA_VERSION; ${after}`);
    for (const h of [bare, unnamed]) expect(existsSync(h.mark)).toBe(false);
    expect(b.javas).toEqual([]);
    expect(b.fetched).toEqual([]);
    expect(await b.installed()).toHaveLength(0);
  });

  it("takes a newer Java than the game's, and reads the old version scheme (1.8 is Java 8)", async () => {
    const newer = await javaHome("jdk-25", 'JAVA_VERSION="25.0.1"\n');
    expect(await installerJava(newer.java, 21, "a build")).toBe(newer.java);
    const eight = await javaHome("jdk-8", 'JAVA_VERSION="1.8.0_392"\n');
    await expect(installerJava(eight.java, 17, "a build")).rejects.toThrow(`${eight.java} is Java 8;`);
    expect(existsSync(newer.mark) || existsSync(eight.mark)).toBe(false);
  });

  it("reaches the worker from the configuration: a NeoForge server stays pending, its lastError naming ZLH_NEOFORGE_JAVA and the Java needed", async () => {
    const old = await javaHome("jdk-17-configured", 'JAVA_VERSION="17.0.12"\n');
    const t = await startTestPlane({ ZLH_NEOFORGE_JAVA: old.java });
    await enrollHost(t.api, "installer-java-host");
    const { body: created } = await t.api("POST", "/v1/servers", serverBody(1, { type: "neoforge" }), { "idempotency-key": "installer-java-1" });
    const pending = await waitFor(async () => {
      const s = (await t.api("GET", `/v1/servers/${created.id}`)).body;
      return s.lastError ? s : null;
    }, 60_000, "the resolution's lastError");
    expect(pending).toMatchObject({ status: "pending", failureReason: null });
    expect(pending.lastError).toMatchObject({
      code: "manifest_resolution_failed",
      message: `NeoForge 21.1.77 for Minecraft 1.21.1 needs Java 21 or newer to install, and ZLH_NEOFORGE_JAVA is ${JSON.stringify(old.java)}: ${old.java} is Java 17; the installer was not run. Point ZLH_NEOFORGE_JAVA at a Java 21 (see docs/server-types.md).`,
    });
    expect(existsSync(old.mark)).toBe(false);
  });
});
