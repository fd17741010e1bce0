
/** maven-metadata.xml is a few tens of KiB; a body past this is not NeoForge's. */
export const MAX_METADATA_BYTES = 2 * 1024 * 1024;

/**
 * A NeoForge version as NeoForge publishes it: three numeric parts for
 * Minecraft 1.x (`21.1.77`), four for the year-based games (`26.1.0.12`),
 * optionally `-beta`. Anything else in the listing (the 1.20.1 `forge`
 * fork's `47.1.x` lives under another artifact) is not a build this picks.
 */
const VERSION = /^(\d{1,4})\.(\d{1,4})\.(\d{1,6})(?:\.(\d{1,6}))?(-beta)?$/;

export interface NeoforgeVersion {
  version: string;
  /** The Minecraft version it is built for. */
  game: string;
  beta: boolean;
  parts: number[];
}

/**
 * The Minecraft version a NeoForge version is for, by NeoForge's own
 * versioning (docs.neoforged.net, "Versioning"): for Minecraft `1.X.Y`
 * NeoForge is `X.Y.<build>` with Y 0 for `1.X` (`21.0.167` is 1.21,
 * `21.1.77` is 1.21.1, `20.2.93` is 1.20.2); for the year-based games
 * (`26.1`, `26.1.1`) the game's three parts lead and the build follows
 * (`26.1.0.12` is 26.1, `26.1.1.3` is 26.1.1). Null for what is neither.
 */
export function parseNeoforgeVersion(version: string): NeoforgeVersion | null {
  const m = VERSION.exec(version);
  if (!m) return null;
  const [major, minor, third, fourth] = [m[1], m[2], m[3], m[4]].map((p) => (p === undefined ? undefined : Number(p)));
  const beta = m[5] !== undefined;
  if (fourth === undefined) {
    // Minecraft 1.X(.Y): NeoForge began at 1.20.2, and never used a major past 25 this way.
    if (major! < 20 || major! >= 25) return null;
    return { version, game: minor === 0 ? `1.${major}` : `1.${major}.${minor}`, beta, parts: [major!, minor!, third!] };
  }
  if (major! < 25) return null;
  return { version, game: third === 0 ? `${major}.${minor}` : `${major}.${minor}.${third}`, beta, parts: [major!, minor!, third!, fourth] };
}

/** Numeric order of two parsed versions of one game; a beta sorts before a release of the same number. */
export function compareNeoforge(a: NeoforgeVersion, b: NeoforgeVersion): number {
  for (let i = 0; i < Math.max(a.parts.length, b.parts.length); i++) {
    const d = (a.parts[i] ?? 0) - (b.parts[i] ?? 0);
    if (d !== 0) return d;
  }
  return Number(b.beta) - Number(a.beta);
}

/** Thrown for a listing or a choice that cannot give a build: the message is the customer's. */
export class NeoforgeVersionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NeoforgeVersionError";
  }
}

/**
 * Every `<version>` of a maven-metadata.xml (Maven's repository metadata:
 * `metadata/versioning/versions/version`), read without an XML library and
 * within bounds: the body's size, and only entries that are NeoForge
 * versions. The body is upstream's, so it is not trusted to be well formed;
 * what does not match is skipped, never interpreted.
 */
export function metadataVersions(xml: string): string[] {
  if (xml.length > MAX_METADATA_BYTES) throw new NeoforgeVersionError(`NeoForge's maven-metadata.xml is over ${MAX_METADATA_BYTES} bytes; refused.`);
  const versions = /<versions>([\s\S]*?)<\/versions>/.exec(xml);
  if (!versions) throw new NeoforgeVersionError("NeoForge's maven-metadata.xml lists no versions.");
  const out: string[] = [];
  for (const m of versions[1]!.matchAll(/<version>\s*([^<\s]{1,64})\s*<\/version>/g)) out.push(m[1]!);
  return out;
}

/**
 * The NeoForge build for `game`: the pinned one if the listing has it and
 * it is for that game, else the newest non-beta build for the game. Betas
 * are only ever taken when pinned: NeoForge marks a build beta while its
 * game's API is still moving, which is not what an unattended server
 * should pick up.
 */
export function chooseNeoforge(listed: readonly string[], game: string, pinned?: string): NeoforgeVersion {
  const forGame = listed.map(parseNeoforgeVersion).filter((v): v is NeoforgeVersion => v !== null && v.game === game);
  if (pinned) {
    const parsed = parseNeoforgeVersion(pinned);
    if (!parsed) throw new NeoforgeVersionError(`${JSON.stringify(pinned)} is not a NeoForge version (e.g. 21.1.77).`);
    if (parsed.game !== game) throw new NeoforgeVersionError(`NeoForge ${pinned} is built for Minecraft ${parsed.game}, not ${game}.`);
    const found = forGame.find((v) => v.version === pinned);
    if (!found) throw new NeoforgeVersionError(`NeoForge has no build ${pinned}.`);
    return found;
  }
  if (forGame.length === 0) throw new NeoforgeVersionError(`NeoForge has no build for Minecraft ${game}.`);
  const releases = forGame.filter((v) => !v.beta).sort(compareNeoforge);
  const newest = releases.at(-1);
  if (!newest) throw new NeoforgeVersionError(`NeoForge has only beta builds for Minecraft ${game}; pin one with loaderVersion to run it.`);
  return newest;
}
