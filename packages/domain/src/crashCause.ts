import type { CrashReason } from "./crashReason";

/**
 * What the agent read from a crashed server's container (docs/crash-reports.md),
 * already bounded and made safe (crashText.ts): the last lines of
 * logs/latest.log, of the game's stderr, the head of the newest crash report,
 * how systemd says the unit ended, and what could not be read and why;
 * each field within its byte budget (crashEvidenceBudget.ts).
 */
export interface CrashEvidence {
  log?: string[];
  stderr?: string[];
  crashReport?: { name: string; lines: string[] };
  exit?: { result: string; code: string; status: string };
  refused?: string[];
  /** Something was left out or cut to fit its byte budget (crashEvidenceBudget.ts). */
  truncated?: boolean;
}

export type CrashCause =
  | "out_of_memory"
  | "java_version"
  | "eula_not_accepted"
  | "port_in_use"
  | "mod_dependency"
  | "corrupt_world"
  | "java_heap"
  | "game_crash"
  | "unknown";

export interface CrashDiagnosis {
  cause: CrashCause;
  /** What the customer can do, or null when nothing particular can be said. */
  hint: string | null;
  /** The line the cause was recognised from (or a crash report's description), or null. */
  summary: string | null;
}

const MEMORY_HINT =
  "The game was killed for running out of its container's memory: raise the server's memoryMiB (its heap follows, at 80 % of it), or run fewer or lighter mods.";

/** A Java class file version (major) is Java's version plus 44: 52 is Java 8, 61 Java 17, 65 Java 21. */
function javaOfClassFile(v: string): number {
  return Number(v) - 44;
}

interface Rule {
  cause: CrashCause;
  /** The first matching line wins; `hint` may use the match. */
  line: RegExp;
  hint: (m: RegExpExecArray) => string;
}

/**
 * In order: the first rule with a matching line anywhere in the evidence
 * decides. A Java mismatch comes first (the JVM refused before the game ran,
 * so an older log may still be there), then what the game refuses at start,
 * then what crashes it later.
 */
/** A server's Java is the one its game version names (the manifest's, from Mojang's javaVersion): no request field sets it. */
const JAVA_CHOSEN = "chosen from the version; no setting changes it";
const OWN_JAR = "if the server's own jar needs it, contact the operator";

const RULES: Rule[] = [
  {
    cause: "java_version",
    line: /has been compiled by a more recent version of the Java Runtime \(class file version (\d+)(?:\.\d+)?\), this version of the Java Runtime only recognizes class file versions up to (\d+)/,
    hint: (m) =>
      `A jar needs Java ${javaOfClassFile(m[1]!)} but runs on Java ${javaOfClassFile(m[2]!)}, the Java of the server's Minecraft version (${JAVA_CHOSEN}): replace the mod that needs it with a build for this Minecraft version, or change the server's minecraftVersion to one that runs on Java ${javaOfClassFile(m[1]!)} or later; ${OWN_JAR}.`,
  },
  {
    cause: "java_version",
    line: /UnsupportedClassVersionError/,
    hint: () => `A jar was built for a newer Java than the server runs on, the Java of its Minecraft version (${JAVA_CHOSEN}): replace the mod that needs it with a build for this Minecraft version, or change the server's minecraftVersion to a newer one; ${OWN_JAR}.`,
  },
  {
    cause: "eula_not_accepted",
    line: /You need to agree to the EULA in order to run the server/,
    hint: () => "The game refused to start because eula.txt does not say eula=true: accept the Minecraft EULA (https://aka.ms/MinecraftEULA) for the server.",
  },
  {
    cause: "port_in_use",
    line: /FAILED TO BIND TO PORT|java\.net\.BindException: Address already in use/,
    hint: () => "The game could not listen on its port: another process in the container holds it (a second server, or a mod's web server on the same port).",
  },
  {
    cause: "mod_dependency",
    line: /^\s*- Mod '.*(?:which is missing|wrong version is present|is incompatible)|Missing or unsupported mandatory dependencies|Incompatible mods found!/,
    hint: (m) => `A mod's dependency is missing or the wrong version: add or change the mod it names (${m[0].trim().slice(0, 200)}).`,
  },
  {
    cause: "corrupt_world",
    line: /(?:level\.dat|region\/r\.-?\d+\.-?\d+\.mca).*(?:ZipException|EOFException|Not in GZIP format|invalid|corrupt)|Failed to (?:load|read) (?:level|world) data|Exception reading .*level\.dat/,
    hint: () => "The world's files could not be read (level.dat or a region file is damaged): restore a backup of the server, or remove the damaged file.",
  },
  {
    cause: "java_heap",
    line: /java\.lang\.OutOfMemoryError/,
    hint: () => "The game ran out of Java heap: raise the server's memoryMiB (its heap follows, at 80 % of it), or run fewer or lighter mods.",
  },
];

function* evidenceLines(e: CrashEvidence): Generator<string> {
  yield* e.stderr ?? [];
  yield* e.crashReport?.lines ?? [];
  yield* e.log ?? [];
}

/**
 * Why a server crashed, recognised from its evidence: pure, so each rule is
 * tested over real-looking samples (packages/domain/test/crashCause.test.ts).
 * A kernel OOM kill (the agent's verdict, `reason`) wins over anything the
 * game wrote; a crash report's Description stands for a crash no rule names.
 */
export function recognizeCrash(reason: CrashReason, evidence: CrashEvidence | null | undefined): CrashDiagnosis {
  if (reason === "out_of_memory") return { cause: "out_of_memory", hint: MEMORY_HINT, summary: null };
  const e = evidence ?? {};
  for (const rule of RULES) {
    for (const line of evidenceLines(e)) {
      const m = rule.line.exec(line);
      if (m) return { cause: rule.cause, hint: rule.hint(m), summary: line.trim().slice(0, 300) };
    }
  }
  const description = e.crashReport?.lines.find((l) => l.startsWith("Description: "));
  if (description) {
    return { cause: "game_crash", hint: `The game crashed and wrote ${e.crashReport!.name}: its first lines are in the crash report's evidence.`, summary: description.slice(0, 300) };
  }
  return { cause: "unknown", hint: null, summary: null };
}
