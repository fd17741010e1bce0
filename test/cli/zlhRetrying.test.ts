import { createServer as listen } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { ADMIN_TOKEN, tempDir } from "../support/processes";
import { killAllZlh, zlh } from "./zlhRunner";

/** A port nothing listens on: a fetch from it fails at once, as from an upstream the machine cannot reach. */
async function closedPort(): Promise<number> {
  const srv = listen();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * A create whose manifest cannot be resolved because the artifact source is unreachable (a new operator's first try
 * on a machine without internet): the control plane retries, the server stays pending, and the CLI says why instead
 * of showing a bar that never moves.
 */
describe("zlh servers create while the control plane retries an error", () => {
  let c: E2eCluster;
  beforeAll(async () => {
    c = await startE2eCluster("cli-retry-host", { ZLH_ARTIFACT_SOURCE: "mirror", ZLH_ARTIFACT_MIRROR: `http://127.0.0.1:${await closedPort()}` });
  });
  afterAll(async () => {
    killAllZlh();
    await c?.close();
  });

  it("prints the error being retried once, after the phase it is stuck in, and exits 7 at its timeout", async () => {
    const env = { HOME: await tempDir("cli-retry-home"), ZLH_URL: c.cp.url, ZLH_TOKEN: ADMIN_TOKEN };
    const res = await zlh(["servers", "create", "--name", "stuck", "--customer", "cli", "--minecraft", "1.21.1", "--memory", "1024", "--disk", "1", "--timeout", "6"], env);
    expect(res.code, res.stderr).toBe(7);
    const lines = res.stderr.trim().split("\n");
    const retrying = lines.filter((l) => l.startsWith("retrying: "));
    // graphile-worker retries within the 6 s; the same error is said once, with the code the API gives it.
    expect(retrying).toHaveLength(1);
    expect(retrying[0]).toMatch(/^retrying: could not fetch .*127\.0\.0\.1.* \(artifact_fetch_failed\)$/);
    expect(lines.indexOf("[--------------------] 1/5 requested")).toBeLessThan(lines.indexOf(retrying[0]!));
    expect(lines.at(-1)).toMatch(/is pending after 6 s/);
    const id = /server (\S+) accepted/.exec(res.stderr)![1]!;
    expect((await c.call("GET", `/v1/servers/${id}`)).body.lastError).toMatchObject({ code: "artifact_fetch_failed" });
  });
});
