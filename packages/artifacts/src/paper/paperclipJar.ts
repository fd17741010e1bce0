import { zipEntry } from "../zip";

/**
 * The files inside a Paper (or Purpur) jar that its launcher, Paperclip,
 * reads at start (PaperMC/Paperclip, java17/.../Paperclip.java and its
 * records DownloadContext, PatchEntry, FileEntry), parsed as it parses them.
 */
export const PAPERCLIP_FILES = {
  downloadContext: "META-INF/download-context",
  patches: "META-INF/patches.list",
  versions: "META-INF/versions.list",
  libraries: "META-INF/libraries.list",
  mainClass: "META-INF/main-class",
} as const;

/** Where a Paper server's jar is placed, and the jar its unit starts (`java -jar paper.jar nogui`). */
export const PAPER_SERVER_JAR = "paper.jar";
/** Where a Purpur server's jar (a Paperclip too) is placed, and the jar its unit starts. */
export const PURPUR_SERVER_JAR = "purpur.jar";

/** The original (Mojang) jar Paperclip patches: where it keeps it (`cache/<fileName>`), its sha256, and where it would download it from. */
export interface DownloadContext {
  sha256: string;
  url: string;
  fileName: string;
}
export interface PatchEntry {
  location: string;
  originalHash: string;
  patchHash: string;
  outputHash: string;
  originalPath: string;
  patchPath: string;
  outputPath: string;
}
export interface FileEntry {
  sha256: string;
  id: string;
  path: string;
}

/** `cache/<fileName>`, relative to the server directory (Paperclip's repo dir is its working directory). */
export const paperclipCachePath = (ctx: DownloadContext) => `cache/${ctx.fileName}`;

const text = (jar: Uint8Array, name: string): string | null => {
  const bytes = zipEntry(jar, name);
  return bytes ? new TextDecoder().decode(bytes) : null;
};
const hex = (s: string) => {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(s)) throw new Error(`not hex: ${s}`);
  return s.toLowerCase();
};

/** DownloadContext.parseLine: null when absent or blank; exactly three tab-separated parts, or Paperclip throws. */
export function readDownloadContext(jar: Uint8Array): DownloadContext | null {
  const line = text(jar, PAPERCLIP_FILES.downloadContext);
  if (line === null || line.trim() === "") return null;
  const parts = line.split("\t");
  if (parts.length !== 3) throw new Error(`Invalid download-context line: ${line}`);
  return { sha256: hex(parts[0]!), url: parts[1]!, fileName: parts[2]! };
}

/** PatchEntry.parse: blank and `#` lines skipped, seven tab-separated parts each. */
export function readPatches(jar: Uint8Array): PatchEntry[] {
  const out: PatchEntry[] = [];
  for (const line of lines(text(jar, PAPERCLIP_FILES.patches))) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const p = line.split("\t");
    if (p.length !== 7) throw new Error(`Invalid patch data line: ${line}`);
    out.push({ location: p[0]!, originalHash: hex(p[1]!), patchHash: hex(p[2]!), outputHash: hex(p[3]!), originalPath: p[4]!, patchPath: p[5]!, outputPath: p[6]! });
  }
  return out;
}

/** FileEntry.parse: every line three tab-separated parts (no blank lines allowed); null when the list is absent. */
export function readFileEntries(jar: Uint8Array, list: "versions" | "libraries"): FileEntry[] | null {
  const body = text(jar, PAPERCLIP_FILES[list]);
  if (body === null) return null;
  return lines(body).map((line) => {
    const p = line.split("\t");
    if (p.length !== 3) throw new Error(`Malformed library entry: ${line}`);
    return { sha256: hex(p[0]!), id: p[1]!, path: p[2]! };
  });
}

export const readMainClass = (jar: Uint8Array): string | null => text(jar, PAPERCLIP_FILES.mainClass);

/** BufferedReader.readLine's lines: split on \n, \r or \r\n, no empty last line for a final terminator. */
function lines(body: string | null): string[] {
  if (body === null || body === "") return [];
  const out = body.split(/\r\n|\r|\n/);
  if (out.at(-1) === "") out.pop();
  return out;
}
