import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Class file major version 65: Java 21's, newer than the machine's JDK 17 runs. */
const JAVA_21_CLASS_FILE = 65;

/**
 * What a real JVM prints when it refuses a class built for a newer Java: a
 * class compiled here by javac, its major version (bytes 6-7 of the class
 * file) raised to Java 21's, run with `java`; its stderr, as the game's
 * stderr would hold it. Nothing binary is kept: the class is made and removed
 * each time. Each process runs to its end (or is killed at the timeout).
 */
export async function realJavaRefusal(): Promise<{ stderr: string; status: number | null }> {
  const dir = await mkdtemp(join(tmpdir(), "zlh-java-"));
  try {
    await writeFile(join(dir, "Refused.java"), "public class Refused { public static void main(String[] args) {} }\n");
    const compiled = spawnSync("javac", ["Refused.java"], { cwd: dir, encoding: "utf8", timeout: 120_000 });
    if (compiled.status !== 0) throw new Error(`javac failed: ${compiled.stderr || compiled.error?.message}`);
    const file = join(dir, "Refused.class");
    const bytes = await readFile(file);
    bytes.writeUInt16BE(JAVA_21_CLASS_FILE, 6);
    await writeFile(file, bytes);
    const run = spawnSync("java", ["-cp", dir, "Refused"], { encoding: "utf8", timeout: 120_000 });
    if (run.error) throw run.error;
    return { stderr: run.stderr, status: run.status };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
