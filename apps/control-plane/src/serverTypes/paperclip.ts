import { createHash } from "node:crypto";
import { paperclipCachePath, readDownloadContext, type DownloadContext, type DownloadedFile, type ManifestFile } from "@zlh/artifacts";
import type { Digest } from "../fabric/digest";
import { fetchPinned } from "../fabric/digest";
import { ResolutionError } from "../fabric/errors";
import { UnknownBuildError } from "@zlh/domain";
import type { TypeInput } from "./serverType";

export const sha256Hex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/**
 * The files of a Paperclip server (Paper, Purpur): its jar at `jarPath`, and
 * Mojang's jar where that jar's Paperclip looks for it (`cache/<file>` of
 * its download context), after checking, once, that Mojang's jar has the
 * sha256 the context names; otherwise Paperclip would download another at
 * first start. `what` names the build in messages ("Paper build 132").
 */
export async function paperclipFiles(
  input: Pick<TypeInput, "db" | "source" | "mojangServer" | "request">,
  jar: { path: string; url: string; bytes: Uint8Array; digest: Digest },
  what: string,
): Promise<ManifestFile[]> {
  const context = downloadContextOf(jar.bytes, what);
  const mojang: DownloadedFile = await input.mojangServer();
  const mojangBytes = await fetchPinned(input.db, input.source, mojang.url, { sha1: mojang.sha1, size: mojang.size });
  const actual = sha256Hex(mojangBytes.bytes);
  if (actual !== context.sha256) {
    throw new ResolutionError(`${what} patches a Mojang jar with sha256 ${context.sha256}, but Mojang's ${input.request.minecraftVersion} server jar is ${actual}; Paperclip would download another at first start.`);
  }
  return [
    { ...mojang, path: paperclipCachePath(context) },
    { path: jar.path, url: jar.url, kind: "server", ...jar.digest },
  ];
}

function downloadContextOf(jar: Uint8Array, what: string): DownloadContext {
  let context: DownloadContext | null;
  try {
    context = readDownloadContext(jar);
  } catch (err) {
    throw new ResolutionError(`${what} is not a readable Paperclip jar: ${(err as Error).message}`);
  }
  if (!context) throw new ResolutionError(`${what} names no Mojang jar to patch (no META-INF/download-context).`);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*\.jar$/.test(context.fileName)) throw new ResolutionError(`${what} names an unusable cache file ${JSON.stringify(context.fileName)}.`);
  return context;
}

/** Paper and Purpur take plugins, not Modrinth mods. */
export function refuseMods(type: string, request: TypeInput["request"]): void {
  if (request.mods.length > 0) throw new ResolutionError(`A ${type} server runs no mods (it takes plugins, which are not provisioned yet); remove them.`);
}

/** "its newest: 133, 132, 131" (at most ten), or "it lists none": what a refusal of a pinned build tells the caller to pick from. */
export function newestListed(builds: readonly number[]): string {
  const newest = [...builds].sort((a, b) => b - a).slice(0, 10);
  return newest.length > 0 ? `its newest: ${newest.join(", ")}` : "it lists none";
}

/** A build lookup in a resolution (a job): a pinned build gone upstream fails the server like any request that cannot resolve. */
export async function pinnedBuildOf<T>(lookup: () => Promise<T>): Promise<T> {
  try {
    return await lookup();
  } catch (err) {
    if (err instanceof UnknownBuildError) throw new ResolutionError(err.message);
    throw err;
  }
}
