/**
 * Builds the operator console (apps/console, docs/console.md) with Vite:
 * into the release (scripts/release/build.ts), and into apps/console/dist
 * for `pnpm dev` and the tests when that build is missing or older than its
 * sources, judged by a hash of the sources kept beside the build.
 */
import { createHash, randomBytes } from "node:crypto";
import { readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");
const CONSOLE = join(ROOT, "apps/console");
/** Where the control plane run from source looks for the console (apps/control-plane/src/plugins/consoleUi.ts). */
export const CONSOLE_DIST = join(CONSOLE, "dist");
const HASH_FILE = ".source-hash";

/** What the build is made of: the console's files and the typed client it bundles. */
const SOURCES = [CONSOLE, join(ROOT, "packages/client/src")];
const SKIP = new Set(["node_modules", "dist"]);

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name) || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await files(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

async function sourceHash(): Promise<string> {
  const hash = createHash("sha256");
  for (const dir of SOURCES) {
    for (const path of (await files(dir)).sort()) hash.update(`${path.slice(ROOT.length)}\0`).update(await readFile(path)).update("\0");
  }
  return hash.digest("hex");
}

/** A production build of the console into `outDir` (emptied first). */
export async function buildConsole(outDir: string): Promise<void> {
  // Loaded only to build: pnpm dev with a fresh build does not pay for importing Vite.
  const { build } = await import("vite");
  await build({ configFile: join(CONSOLE, "vite.config.ts"), build: { outDir, emptyOutDir: true }, logLevel: "warn" });
}

/**
 * apps/console/dist as the sources are now: built when missing or stale.
 * Built beside it and moved in whole, so a control plane reading it never
 * sees half a build. Returns whether it built.
 */
export async function ensureConsoleBuilt(): Promise<boolean> {
  const want = await sourceHash();
  const have = await readFile(join(CONSOLE_DIST, HASH_FILE), "utf8").catch(() => null);
  if (have === want) return false;
  const staging = join(CONSOLE, `.dist-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    await buildConsole(staging);
    await writeFile(join(staging, HASH_FILE), want);
    await rm(CONSOLE_DIST, { recursive: true, force: true });
    await rename(staging, CONSOLE_DIST).catch(async (err: NodeJS.ErrnoException) => {
      // Another process (pnpm dev beside the tests) moved the same build in first.
      if ((await readFile(join(CONSOLE_DIST, HASH_FILE), "utf8").catch(() => null)) !== want) throw err;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return true;
}
