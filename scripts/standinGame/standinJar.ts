import { execFile } from "node:child_process";
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const SOURCES = resolve(import.meta.dirname, "../../tools/standin-server/src");

/**
 * Builds the stand-in Minecraft server (tools/standin-server) with the
 * machine's javac into a jar in a fresh temporary directory (never in the
 * repository), and returns the jar's path. The caller removes `dir`.
 */
export async function buildStandinJar(): Promise<{ jar: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), "zlh-standin-"));
  const sources = (await readdir(SOURCES)).filter((f) => f.endsWith(".java")).map((f) => join(SOURCES, f));
  await run("javac", ["--release", "17", "-d", join(dir, "classes"), ...sources], { timeout: 120_000 });
  const jar = join(dir, "standin-server.jar");
  await run("jar", ["--create", "--file", jar, "--main-class", "StandinServer", "-C", join(dir, "classes"), "."], { timeout: 60_000 });
  return { jar, dir };
}
