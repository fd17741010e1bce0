import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { zipSync } from "fflate";
import { renderJavaManifest } from "@zlh/artifacts";

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
export function recordedUpstream(routes: Map<string, () => Response>, fallback?: (url: string) => Response | undefined) {
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
