/**
 * The release build (`pnpm build`). Each deployable becomes one self-contained
 * JavaScript file (every dependency bundled by esbuild; no tsx, no
 * node_modules, no dev dependencies at run time) plus the few files it reads
 * from disk, copied next to it:
 *
 *   dist/control-plane/zlh-control-plane.mjs   drizzle/ (SQL migrations), static/ (API docs UI), ui/ (the operator console), offline-mirror/
 *   dist/agent/zlh-agent.mjs                   guest/guestWorker.mjs (the container boundary's helper), sim/mcServer.pl (the sim runtime), offline-mirror/
 *   dist/cli/zlh.mjs                           nothing: the command line (docs/cli.md), for any machine with Node
 *
 * A Proxmox host needs Node.js (>= 20.19) and dist/agent. deploy/systemd/
 * has a unit for each. The bundles know they are bundles through
 * ZLH_BUNDLED, defined at build time, and then look for those files next to
 * themselves.
 */
import { build } from "esbuild";
import { chmod, cp, mkdir, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { ZLH_VERSION } from "@zlh/process";
import { buildConsole } from "../console/buildConsole";

const ROOT = resolve(import.meta.dirname, "../..");

// ESM output; CommonJS dependencies still call require() and read __dirname.
const banner = [
  `import { createRequire as __zlhCreateRequire } from "node:module";`,
  `import { fileURLToPath as __zlhFileURLToPath } from "node:url";`,
  `import { dirname as __zlhDirname } from "node:path";`,
  `const require = __zlhCreateRequire(import.meta.url);`,
  `const __filename = __zlhFileURLToPath(import.meta.url);`,
  `const __dirname = __zlhDirname(__filename);`,
].join("\n");

async function bundle(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20.19",
    format: "esm",
    sourcemap: true,
    legalComments: "linked",
    banner: { js: `#!/usr/bin/env node\n${banner}` },
    define: { "process.env.ZLH_BUNDLED": '"1"' },
    // Optional native add-ons their packages load only if present, and
    // TypeScript, which graphile-worker's config loader imports only to read
    // a graphile.config.ts (we have none): 9 MB never run.
    external: RUNTIME_EXTERNALS,
    logLevel: "warning",
  });
}

export const BUNDLES = { controlPlane: "control-plane/zlh-control-plane.mjs", agent: "agent/zlh-agent.mjs", cli: "cli/zlh.mjs" } as const;
/** What the bundles may import at run time: Node's own modules and the optional externals above. */
export const RUNTIME_EXTERNALS = ["pg-native", "bufferutil", "utf-8-validate", "typescript"];

/** Builds the deployables and the CLI into `dist` (emptied first); returns the bundles' paths. */
export async function buildRelease(dist = join(ROOT, "dist")): Promise<{ controlPlane: string; agent: string; cli: string }> {
  await rm(dist, { recursive: true, force: true });
  const cpDir = join(dist, "control-plane");
  const agentDir = join(dist, "agent");
  await mkdir(cpDir, { recursive: true });
  await mkdir(agentDir, { recursive: true });

  await bundle("apps/control-plane/src/main.ts", join(dist, BUNDLES.controlPlane));
  await bundle("apps/agent/src/main.ts", join(dist, BUNDLES.agent));
  await mkdir(join(dist, "cli"), { recursive: true });
  await bundle("apps/cli/src/main.ts", join(dist, BUNDLES.cli));
  await chmod(join(dist, BUNDLES.cli), 0o755);

  const requireFromCp = createRequire(join(ROOT, "apps/control-plane/package.json"));
  const swaggerUiDir = dirname(requireFromCp.resolve("@fastify/swagger-ui/package.json"));
  await cp(join(ROOT, "drizzle"), join(cpDir, "drizzle"), { recursive: true });
  await cp(join(swaggerUiDir, "static"), join(cpDir, "static"), { recursive: true });
  // The operator console's static files, served at /ui (plugins/consoleUi.ts looks for them next to the bundle).
  await buildConsole(join(cpDir, "ui"));
  await mkdir(join(agentDir, "sim"), { recursive: true });
  await cp(join(ROOT, "apps/agent/src/sim/mcServer.pl"), join(agentDir, "sim/mcServer.pl"));
  // Read by the agent and passed to node -e (never imported, so not bundled): it runs as a container's root.
  await mkdir(join(agentDir, "guest"), { recursive: true });
  await cp(join(ROOT, "apps/agent/src/guest/guestWorker.mjs"), join(agentDir, "guest/guestWorker.mjs"));
  for (const dir of [cpDir, agentDir]) await cp(join(ROOT, "fixtures/offline-mirror"), join(dir, "offline-mirror"), { recursive: true });
  await writeFile(join(dist, "VERSION"), `${ZLH_VERSION}\n`);
  return { controlPlane: join(dist, BUNDLES.controlPlane), agent: join(dist, BUNDLES.agent), cli: join(dist, BUNDLES.cli) };
}
