import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { zipSync } from "fflate";
import { renderJavaManifest, upstreamSource, USER_AGENT, type ArtifactSource } from "@zlh/artifacts";
import { connectDatabase, type Database } from "@zlh/db";
import { testDatabase } from "@zlh/testing";
import type { TypeInput } from "../src/serverTypes/serverType";

/**
 * The recorded real upstream responses of fixtures/upstream-samples (sources
 * in its README), served as the services sent them, for the realUpstreams*
 * tests. The real jars are not recorded: small stand-in jars take their
 * place, so a hash upstream publishes cannot match them.
 */
export const sample = (path: string) => readFileSync(fileURLToPath(new URL(`../../../fixtures/upstream-samples/${path}`, import.meta.url)), "utf8");

/** A WireMock recording: its status, headers and body, as recorded. */
export const recorded = (path: string) => {
  const { response } = JSON.parse(sample(path)) as { response: { status: number; body: string; headers?: Record<string, string> } };
  return () => new HttpResponse(response.body, { status: response.status, headers: response.headers ?? { "content-type": "application/json" } });
};

/** A recorded body, served with the content type the service sends it with. */
export const recordedBody =
  (path: string, contentType = "application/json") =>
  () =>
    new HttpResponse(sample(path), { headers: { "content-type": contentType } });

export const standInJar = (name: string, mainClass?: string) => () =>
  new HttpResponse(
    zipSync({ "META-INF/MANIFEST.MF": new TextEncoder().encode(renderJavaManifest(mainClass ? [["Main-Class", mainClass]] : [])), "stand-in.txt": new TextEncoder().encode(name) }),
    { headers: { "content-type": "application/java-archive" } },
  );

/**
 * An msw server answering `routes` by exact URL, then `fallback`, else a 404
 * (an upstream that does not have it); every URL asked for is in `requested`.
 */
function recordedUpstream(routes: Map<string, () => Response>, fallback?: (url: string) => Response | undefined) {
  const requested: string[] = [];
  const server = setupServer(
    http.get(/^https:\/\//, ({ request }) => {
      requested.push(request.url);
      const route = routes.get(request.url);
      if (route) return route();
      return fallback?.(request.url) ?? HttpResponse.json({ error: "not_found", description: "the requested resource does not exist" }, { status: 404 });
    }),
  );
  return { server, requested };
}

/**
 * For a describe block: the recorded upstream listening (an unknown request
 * fails the test), a test database, and per test a fresh real upstream
 * source whose retry sleeps are recorded, not slept, and a cleared `requested`.
 */
export function recordedResolution(routes: Map<string, () => Response>, fallback?: (url: string) => Response | undefined) {
  const { server, requested } = recordedUpstream(routes, fallback);
  const ctx = { requested, sleeps: [] as number[], database: undefined as unknown as Database, source: undefined as unknown as ArtifactSource };
  beforeAll(async () => {
    server.listen({ onUnhandledRequest: "error" });
    ctx.database = connectDatabase(await testDatabase(), { max: 2 });
  });
  afterAll(async () => {
    server.close();
    await ctx.database.close();
  });
  beforeEach(() => {
    requested.length = 0;
    ctx.sleeps.length = 0;
    ctx.source = upstreamSource({ userAgent: USER_AGENT, sleep: async (ms) => void ctx.sleeps.push(ms) });
  });
  /** A type resolver's input for `request`, against this test's database and source (the game's Java as 1.21's: 21; no settings given). */
  const input = (request: TypeInput["request"], mojangServer: TypeInput["mojangServer"], mojangServerMappings: TypeInput["mojangServerMappings"] = async () => null): TypeInput => ({
    db: ctx.database.db,
    source: ctx.source,
    request,
    mojangServer,
    mojangServerMappings,
    javaMajor: async () => 21,
    settings: {},
  });
  return Object.assign(ctx, { input });
}
