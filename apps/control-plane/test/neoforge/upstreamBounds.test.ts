import { sql } from "drizzle-orm";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { ArtifactFetchError, sha1Hex, sha512Hex, upstreamSource, USER_AGENT } from "@zlh/artifacts";
import { HASH_FILE_MAX_BYTES } from "../../src/fabric/digest";
import { ResolutionError } from "../../src/fabric/errors";
import { resolveManifest } from "../../src/fabric/resolveManifest";
import { INSTALLER_MAX_BYTES, neoforgeInstall, neoforgeInstallerUrl } from "../../src/neoforge/install";
import { METADATA_MAX_BYTES, NEOFORGE_METADATA_URL } from "../../src/serverTypes/neoforge";
import { standinInstallerJava } from "../../../../scripts/standinGame/installerJava";
import { stubbedUpstreams } from "../stubbedUpstreams";

const GAME = "1.21.1";
const CHUNK = 64 * 1024;

/** A body that never ends (a broken mirror streaming /dev/zero): counts what was pulled from it, to show the reader stopped. */
function endless(pulled: { bytes: number }) {
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled.bytes += CHUNK;
      controller.enqueue(new Uint8Array(CHUNK));
    },
  });
}

/** A body that sends its first bytes, then nothing, for ever (the connection held open). */
function stalled() {
  let sent = false;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent) controller.enqueue(new TextEncoder().encode("<metadata>"));
      sent = true;
      return new Promise<void>(() => undefined);
    },
  });
}

const source = (timeoutMs = 60_000) => upstreamSource({ userAgent: USER_AGENT, maxRetries: 0, sleep: async () => {}, timeoutMs });
// Never fetched here: each install is refused before Mojang's files are.
const mappings = { url: "https://piston-data.mojang.com/v1/objects/x/server.txt", size: 1, sha1: sha1Hex(new Uint8Array(1)) };
const mojang = { path: "server.jar", url: "https://piston-data.mojang.com/v1/objects/x/server.jar", size: 1, sha512: sha512Hex(new Uint8Array(1)), sha1: sha1Hex(new Uint8Array(1)), kind: "server" as const };

describe("NeoForge's upstream files are read as streams, each within its cap and the upstream timeout", () => {
  const { server, db } = stubbedUpstreams();

  it("stops reading a maven-metadata.xml that never ends at its cap, and refuses it", async () => {
    const pulled = { bytes: 0 };
    server.use(http.get(NEOFORGE_METADATA_URL, () => new HttpResponse(endless(pulled))));
    const err = await resolveManifest(db(), source(), { type: "neoforge", minecraftVersion: GAME, mods: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResolutionError);
    expect((err as Error).message).toBe(`${NEOFORGE_METADATA_URL} is more than ${METADATA_MAX_BYTES} bytes, more than such a file can be; the download was stopped there, refused.`);
    // The stream's own read-ahead aside, nothing past the cap was asked for.
    expect(pulled.bytes).toBeLessThan(METADATA_MAX_BYTES + 16 * CHUNK);
  });

  it("fails a listing whose body stops coming within the upstream timeout, as a fetch that may pass (retried by the job)", async () => {
    server.use(http.get(NEOFORGE_METADATA_URL, () => new HttpResponse(stalled())));
    const err = await resolveManifest(db(), source(300), { type: "neoforge", minecraftVersion: GAME, mods: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactFetchError);
    expect((err as Error).message).toBe(`could not fetch ${NEOFORGE_METADATA_URL}: the body did not arrive within 0.3 s`);
  });

  it("stops an installer jar past INSTALLER_MAX_BYTES, and a .sha256 past a few hundred bytes, recording nothing", async () => {
    const url = neoforgeInstallerUrl("21.1.90");
    const pulled = { bytes: 0 };
    // The published sha256 is read first (a mismatch must record nothing): a well-formed one, so the jar is reached.
    server.use(
      http.get(`${url}.sha256`, () => HttpResponse.text(`${"0".repeat(64)}  neoforge-21.1.90-installer.jar`)),
      http.get(url, () => new HttpResponse(endless(pulled))),
    );
    await expect(neoforgeInstall(db(), source(), { game: GAME, version: "21.1.90", mojang, mappings, javaMajor: 21, java: standinInstallerJava(21) })).rejects.toThrow(
      new ResolutionError(`${url} is more than ${INSTALLER_MAX_BYTES} bytes, more than such a file can be; the download was stopped there, refused.`),
    );
    expect(pulled.bytes).toBeLessThan(INSTALLER_MAX_BYTES + 16 * CHUNK);

    const small = new TextEncoder().encode("not a jar, but small");
    const hashPulled = { bytes: 0 };
    server.use(
      http.get(url, () => HttpResponse.arrayBuffer(small.buffer)),
      http.get(`${url}.sha256`, () => new HttpResponse(endless(hashPulled))),
    );
    await expect(neoforgeInstall(db(), source(), { game: GAME, version: "21.1.90", mojang, mappings, javaMajor: 21, java: standinInstallerJava(21) })).rejects.toThrow(
      new ResolutionError(`${url}.sha256 is more than ${HASH_FILE_MAX_BYTES} bytes, more than such a file can be; the download was stopped there, refused.`),
    );
    expect(hashPulled.bytes).toBeLessThan(16 * CHUNK);
    expect(await db().execute(sql`select 1 from neoforge_installs where neoforge_version = '21.1.90'`)).toHaveLength(0);
  });
});
