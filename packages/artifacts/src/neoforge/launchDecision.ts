import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { JarLaunchDecision } from "../jvmJar";
import { zipEntry } from "../zip";

/** The arg files a NeoForge server starts with, in order: `java @user_jvm_args.txt @libraries/net/neoforged/neoforge/<v>/unix_args.txt nogui`. */
export const neoforgeArgFiles = (version: string) => ["user_jvm_args.txt", `libraries/net/neoforged/neoforge/${version}/unix_args.txt`];

/** The JVM's options that take the next token as their value (the ones an args file of NeoForge's uses, and their kin). */
const WITH_VALUE = new Set(["-p", "--module-path", "-cp", "-classpath", "--class-path", "--add-modules", "--add-opens", "--add-exports", "--add-reads", "--upgrade-module-path", "--patch-module"]);

/**
 * An args file as the java launcher reads it (JDK's args.c): tokens
 * separated by white space, `#` to the end of the line a comment when it
 * starts a token, double or single quotes grouping.
 */
export function argFileTokens(text: string): string[] {
  const out: string[] = [];
  let token = "";
  let has = false;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else token += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (/\s/.test(c)) {
      if (has) out.push(token);
      token = "";
      has = false;
    } else if (c === "#" && !has) {
      while (i < text.length && text[i] !== "\n") i++;
    } else {
      token += c;
      has = true;
    }
  }
  if (has) out.push(token);
  return out;
}

/**
 * What `java @<argFiles...> nogui` decides in `dir` before NeoForge's code
 * runs, from the JVM's own behaviour (its wording held against the
 * machine's java by neoforgeLaunch.test.ts):
 *  - each args file must open: `Error: could not open \`<file>'`;
 *  - the main class (the first token that is neither an option nor an
 *    option's value) must be in a jar of the module path (`-p`) or class
 *    path (`-cp`), else `Error: Could not find or load main class <c>`
 *    with its `Caused by: java.lang.ClassNotFoundException: <c>`;
 *  - every module path, class path and `-DlegacyClassPath=` entry must be
 *    in place: BootstrapLauncher opens each as a jar, so a missing library
 *    is a crash before the game, named here.
 * Nothing here downloads: a NeoForge server's first boot needs only what
 * the installer left, which the manifest pins. The simulated server
 * (apps/agent/src/sim/mcServer.pl) makes the same decision.
 */
/** Reads a file the launch names, relative to the server directory; null when it cannot be opened. */
export type LaunchFileReader = (path: string) => Promise<Uint8Array | null>;

export async function neoforgeLaunchDecision(
  dir: string,
  argFiles: readonly string[],
  read: LaunchFileReader = (p) => readFile(join(dir, p)).catch(() => null),
): Promise<JarLaunchDecision> {
  const tokens: string[] = [];
  for (const file of argFiles) {
    const bytes = await read(file);
    const text = bytes === null ? null : Buffer.from(bytes).toString("utf8");
    if (text === null) return refuse(`Error: could not open \`${file}'`);
    tokens.push(...argFileTokens(text));
  }
  const paths: string[] = [];
  let mainClass: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (WITH_VALUE.has(t)) {
      const value = tokens[++i] ?? "";
      if (t === "-p" || t === "--module-path" || t === "-cp" || t === "-classpath" || t === "--class-path") paths.push(...value.split(":").filter(Boolean));
      continue;
    }
    if (t.startsWith("-DlegacyClassPath=")) {
      paths.push(...t.slice("-DlegacyClassPath=".length).split(":").filter(Boolean));
      continue;
    }
    if (t.startsWith("-")) continue;
    mainClass = t;
    break;
  }
  if (!mainClass) return refuse("Error: no main class named in the args files");
  const entry = `${mainClass.replaceAll(".", "/")}.class`;
  let found = false;
  const missing: string[] = [];
  for (const p of paths) {
    const bytes = await read(p);
    if (!bytes) {
      missing.push(p);
      continue;
    }
    if (!found) {
      try {
        found = zipEntry(bytes, entry) !== null;
      } catch {
        // not a jar: the JVM skips it when looking for a class
      }
    }
  }
  if (!found) return refuse(`Error: Could not find or load main class ${mainClass}\nCaused by: java.lang.ClassNotFoundException: ${mainClass}`);
  if (missing.length > 0) return refuse(`a library the launch names is missing: ${missing[0]}`);
  return { launches: true, jar: argFiles.map((f) => `@${f}`).join(" "), mainClass };
}

const refuse = (reason: string): JarLaunchDecision => ({ launches: false, needsNetwork: false, reason });
