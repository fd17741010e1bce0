import { access } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { waitStatus } from "../support/lifecycle";
import { waitFor } from "../support/processes";

/**
 * A deleted server's backups stay in the host's backup dir until removed:
 * DELETE of one removes it from the API at once and its archive from the
 * host (it answered 409 server_busy, forever, once the server was deleted).
 */
describe("backups of a deleted server", () => {
  let c: E2eCluster;
  beforeAll(async () => {
    c = await startE2eCluster("deleted-backups-host");
    c.startAgent();
  });
  afterAll(() => c?.close());

  const exists = (path: string) => access(path).then(() => true, () => false);

  it("can be deleted, and their archives are removed from the host", async () => {
    const server = await createServer(c.call);
    await waitStatus(c.call, server.id, "running", 30_000);
    const asked = await c.call("POST", `/v1/servers/${server.id}/backups`);
    expect(asked.status).toBe(202);
    await waitFor(async () => {
      const items = (await c.call("GET", `/v1/servers/${server.id}/backups`)).body.items as { id: string; status: string }[];
      return items.find((b) => b.id === asked.body.id && b.status === "completed") ?? null;
    }, 20_000, "backup completed");
    const archive = join(c.stateDir, "backups", server.id, `${asked.body.id}.tar.gz`);
    expect(await exists(archive)).toBe(true);

    expect((await c.call("DELETE", `/v1/servers/${server.id}`)).status).toBe(202);
    await waitStatus(c.call, server.id, "deleted", 30_000);
    expect(await exists(archive)).toBe(true); // a server's backups outlive it

    const removed = await c.call("DELETE", `/v1/servers/${server.id}/backups/${asked.body.id}`);
    expect(removed.status).toBe(200);
    expect((await c.call("GET", `/v1/servers/${server.id}/backups`)).body.items).toEqual([]);
    await waitFor(async () => ((await exists(archive)) ? null : true), 20_000, "archive removed");
    await waitFor(async () => {
      const [row] = await c.sql`select archive_settled_at from backups where id = ${asked.body.id}`;
      return row!.archive_settled_at ? true : null;
    }, 20_000, "removal confirmed");
  });
});
