import { describe, expect, it } from "vitest";
import { isLauncher } from "../src/ancestors";

describe("isLauncher: what pnpm dev's launcher watch stops at", () => {
  it("is pnpm, npm or tsx however they were started", () => {
    expect(isLauncher(["node", "/usr/bin/pnpm", "dev"])).toBe(true);
    expect(isLauncher(["/usr/local/bin/pnpm", "dev"])).toBe(true);
    expect(isLauncher(["node", "/usr/lib/node_modules/pnpm/bin/pnpm.cjs", "dev"])).toBe(true);
    expect(isLauncher(["node", "/usr/lib/node_modules/npm/bin/npm-cli.js", "run", "dev"])).toBe(true);
    expect(isLauncher(["node", "/repo/node_modules/.bin/../tsx/dist/cli.mjs", "scripts/dev.ts"])).toBe(true);
  });

  it("is not a shell, setsid, a supervisor or a node running something else", () => {
    expect(isLauncher(["-bash"])).toBe(false);
    expect(isLauncher(["sh", "-c", "pnpm dev"])).toBe(false);
    expect(isLauncher(["setsid", "pnpm", "dev"])).toBe(false);
    expect(isLauncher(["/sbin/init"])).toBe(false);
    expect(isLauncher(["node", "--import", "tsx", "scripts/dev.ts"])).toBe(false);
  });
});
