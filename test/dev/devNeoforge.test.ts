import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { javaOnPath, neoforgeDevLine } from "../../scripts/devNeoforge";

/** What pnpm dev says about NeoForge at start: the java its installer runs with, or that there is none. */
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
const dir = async () => {
  const d = await mkdtemp(join(tmpdir(), "zlh-dev-java-"));
  dirs.push(d);
  return d;
};

it("finds the first executable java on PATH, skipping one that cannot be run", async () => {
  const [a, b] = [await dir(), await dir()];
  await writeFile(join(a, "java"), "not executable");
  await writeFile(join(b, "java"), "#!/bin/sh\n");
  await chmod(join(b, "java"), 0o755);
  expect(javaOnPath(`${a}::${b}`)).toBe(join(b, "java"));
  expect(neoforgeDevLine(javaOnPath(`${a}:${b}`))).toBe(`NeoForge:   its installer runs with ${join(b, "java")}`);
});

it("says NeoForge needs a Java runtime when PATH has none, and that the other types work", async () => {
  expect(javaOnPath(await dir())).toBeNull();
  expect(neoforgeDevLine(null)).toMatch(/^NeoForge: {3}needs a Java runtime: no `java` on PATH, so NeoForge servers fail to resolve \(every other type works/);
});
