import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import pino from "pino";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { mirrorSource, OFFLINE_MIRROR_DIR, upstreamSource, USER_AGENT } from "@zlh/artifacts";
import { connectDatabase } from "@zlh/db";
import { provisionServerTask } from "../src/jobs/handlers/provisionServer";
import { enrollHost, serverBody, startTestPlane } from "./harness";

/** A loopback port nothing listens on: connecting is refused, as with no network. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe("a manifest resolution that keeps failing", () => {
  it("says on the server which URL failed and why while it is retried, and clears that once it resolves", async () => {
    const t = await startTestPlane({}, { runWorker: false });
    await enrollHost(t.api, "last-error-host");
    const { body: server } = await t.api("POST", "/v1/servers", serverBody(1), { "idempotency-key": "last-error-1" });
    expect(server.lastError).toBeNull();
    const database = connectDatabase(t.databaseUrl, { max: 2 });
    const deps = { db: database.db, secretsKeys: t.config.secretsKeys, log: pino({ level: "silent" }) };
    const port = await closedPort();
    const unreachable = provisionServerTask({ ...deps, source: mirrorSource(`http://127.0.0.1:${port}`, "mirror") });
    const attempt = { job: { attempts: 1, max_attempts: 10 } } as never;
    try {
      await expect(unreachable({ serverId: server.id }, attempt)).rejects.toThrow(/could not fetch http:\/\/127\.0\.0\.1/);
      const pending = (await t.api("GET", `/v1/servers/${server.id}`)).body;
      expect(pending).toMatchObject({ status: "pending", failureReason: null });
      expect(pending.lastError).toEqual({
        code: "artifact_fetch_failed",
        url: expect.stringMatching(new RegExp(`^http://127\\.0\\.0\\.1:${port}/`)),
        message: expect.stringContaining("ECONNREFUSED"),
        at: expect.any(String),
      });
      const resolved = provisionServerTask({ ...deps, source: mirrorSource(OFFLINE_MIRROR_DIR, "offline") });
      await resolved({ serverId: server.id }, attempt);
      const after = (await t.api("GET", `/v1/servers/${server.id}`)).body;
      expect(after.lastError).toBeNull();
      expect(after.manifests.applied).toEqual(expect.any(String));
    } finally {
      await database.close();
    }
  });

  it("with the default upstream source and no network, names the upstream URL that failed and why, on the server", async () => {
    // No network: every upstream (https) host fails as fetch fails with no route (msw's network error; nothing leaves
    // the machine). The test's own calls to its control plane (http on loopback) pass.
    const requested: string[] = [];
    const offline = setupServer(http.all(/^https:\/\//, ({ request }) => {
      requested.push(request.url);
      return HttpResponse.error();
    }));
    offline.listen({ onUnhandledRequest: "bypass" });
    const t = await startTestPlane({}, { runWorker: false });
    const database = connectDatabase(t.databaseUrl, { max: 2 });
    try {
      await enrollHost(t.api, "no-network-host");
      const { body: server } = await t.api("POST", "/v1/servers", serverBody(2), { "idempotency-key": "no-network-1" });
      const task = provisionServerTask({ db: database.db, secretsKeys: t.config.secretsKeys, log: pino({ level: "silent" }), source: upstreamSource({ userAgent: USER_AGENT, maxRetries: 1, sleep: async () => {} }) });
      await expect(task({ serverId: server.id }, { job: { attempts: 1, max_attempts: 10 } } as never)).rejects.toThrow(/could not fetch https:\/\//);
      const pending = (await t.api("GET", `/v1/servers/${server.id}`)).body;
      expect(pending).toMatchObject({ status: "pending", failureReason: null });
      expect(requested.length).toBeGreaterThan(0);
      expect(pending.lastError).toEqual({ code: "artifact_fetch_failed", url: requested[0], message: expect.stringMatching(/^could not fetch https:\/\/\S+: .*fetch/i), at: expect.any(String) });
      expect(pending.lastError.message).toContain(requested[0]);
    } finally {
      offline.close();
      await database.close();
    }
  });
});
