import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { ZLH_VERSION } from "@zlh/process";
import { BUNDLES, buildRelease, RUNTIME_EXTERNALS } from "../../scripts/release/build";
import { tempDir } from "../support/processes";

const ROOT = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);

/** The release build: self-contained bundles and the service units that run them. (`pnpm smoke` runs them end to end.) */
describe("pnpm build", () => {
  let built: { controlPlane: string; agent: string; cli: string };
  beforeAll(async () => {
    built = await buildRelease(await tempDir("dist"));
  }, 120_000);

  it("bundles each deployable into one file that imports nothing but Node's own modules (and optional externals)", async () => {
    const allowed = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`), ...RUNTIME_EXTERNALS]);
    for (const file of [built.controlPlane, built.agent, built.cli]) {
      const text = await readFile(file, "utf8");
      // A require() inside a string or template literal (Ajv's code generator writes `require("ajv/...")`) is text, not an import.
      const imported = [...text.matchAll(/^import .*? from "([^"]+)";$/gm), ...text.matchAll(/(?<![`'\w])require\("([^"./][^"]*)"\)/g)].map((m) => m[1]!);
      expect(imported.filter((name) => !allowed.has(name) && !allowed.has(name.split("/")[0]!)), file).toEqual([]);
      expect(text).not.toMatch(/from "tsx|@zlh\//);
    }
  });

  it("carries the operator console next to the control plane: index.html and its hashed assets, nothing inline", async () => {
    const ui = join(dirname(built.controlPlane), "ui");
    const index = await readFile(join(ui, "index.html"), "utf8");
    const assets = [...index.matchAll(/(?:src|href)="\/ui\/(assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith(".js"))).toBe(true);
    expect(assets.some((a) => a.endsWith(".css"))).toBe(true);
    for (const asset of assets) expect((await readFile(join(ui, asset))).length, asset).toBeGreaterThan(0);
    // The page's CSP allows no inline script or style element.
    expect(index).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>|<style/);
  });

  it("prints its version with --version, as /healthz shows it, and the root package.json says the same", async () => {
    expect((await run(process.execPath, [built.controlPlane, "--version"], { env: { PATH: process.env.PATH } })).stdout.trim()).toBe(`zlh-control-plane ${ZLH_VERSION}`);
    expect((await run(process.execPath, [built.agent, "--version"], { env: { PATH: process.env.PATH } })).stdout.trim()).toBe(`zlh-agent ${ZLH_VERSION}`);
    // The CLI runs by itself too: a shebang, executable, no node_modules next to it.
    expect((await run(built.cli, ["--version"], { env: { PATH: process.env.PATH } })).stdout.trim()).toBe(`zlh ${ZLH_VERSION}`);
    expect((await readFile(built.cli, "utf8")).startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")).version).toBe(ZLH_VERSION);
  });

  it("says what is wrong with the configuration and exits 2, as the systemd units expect (RestartPreventExitStatus=2)", async () => {
    const failed = await run(process.execPath, [built.controlPlane], { env: { PATH: process.env.PATH } }).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining("DATABASE_URL") });
    for (const unit of ["zlh-control-plane.service", "zlh-agent.service"]) {
      expect(await readFile(join(ROOT, "deploy/systemd", unit), "utf8")).toMatch(/^RestartPreventExitStatus=2$/m);
    }
  });

  it("ships service units that start exactly the built bundles", async () => {
    const units = {
      controlPlane: await readFile(join(ROOT, "deploy/systemd/zlh-control-plane.service"), "utf8"),
      agent: await readFile(join(ROOT, "deploy/systemd/zlh-agent.service"), "utf8"),
    };
    for (const key of ["controlPlane", "agent"] as const) {
      const exec = /^ExecStart=\/usr\/bin\/node \/opt\/zerolaghub\/(\S+)$/m.exec(units[key]);
      expect(exec?.[1], key).toBe(BUNDLES[key]);
      expect(units[key]).toMatch(/^KillSignal=SIGTERM$/m);
    }
  });
});
