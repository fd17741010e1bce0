import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { devNeoforgeJava, javaOnPath, neoforgeDevLine } from "../../scripts/devNeoforge";

/** What pnpm dev says about NeoForge at start: the java its installer runs with (ZLH_NEOFORGE_JAVA), or that there is none. */
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
  expect(neoforgeDevLine("java", `${a}:${b}`)).toBe(`NeoForge:   its installer runs with ${join(b, "java")} (ZLH_NEOFORGE_JAVA=java)`);
  expect(neoforgeDevLine(join(b, "java"), a)).toBe(`NeoForge:   its installer runs with ${join(b, "java")} (ZLH_NEOFORGE_JAVA=${join(b, "java")})`);
});

it("runs a stand-in Java 21 unless ZLH_NEOFORGE_JAVA is set (the offline mirror's NeoForge is for 1.21.1)", async () => {
  expect(devNeoforgeJava({ ZLH_NEOFORGE_JAVA: "/opt/jdk-21/bin/java" })).toEqual({});
  const { ZLH_NEOFORGE_JAVA: java } = devNeoforgeJava({});
  expect(readFileSync(join(dirname(dirname(java!)), "release"), "utf8")).toContain('JAVA_VERSION="21.');
});

it("says NeoForge needs a Java runtime when PATH has none, and that the other types work", async () => {
  expect(javaOnPath(await dir())).toBeNull();
  expect(neoforgeDevLine("java", await dir())).toMatch(/^NeoForge: {3}needs a Java runtime: no java on PATH \(ZLH_NEOFORGE_JAVA\), so NeoForge servers stay pending \(every other type works/);
  expect(neoforgeDevLine("/nowhere/bin/java")).toMatch(/^NeoForge: {3}needs a Java runtime: no \/nowhere\/bin\/java \(ZLH_NEOFORGE_JAVA\)/);
});
