import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { testDatabase } from "@zlh/testing";
import { api, createServer, enroll } from "../support/api";
import { startControlPlaneProcess, waitFor, type ControlPlaneProc } from "../support/processes";

/**
 * Regression: a control plane killed while running a graphile-worker job left
 * that job locked for graphile-worker's fixed 4 hours, and the server
 * `pending` all that time.
 */
describe("a control plane killed in the middle of a job", () => {
  const planes: ControlPlaneProc[] = [];
  const sockets: Socket[] = [];
  let hung: Server | undefined;
  let sql: postgres.Sql | undefined;
  afterAll(async () => {
    for (const p of planes) await p.stop();
    for (const s of sockets) s.destroy();
    await new Promise((r) => (hung ? hung.close(r) : r(null)));
    await sql?.end();
  });

  it("its job is picked up again by another control plane within two lease TTLs", async () => {
    const url = await testDatabase();
    sql = postgres(url, { max: 1, onnotice: () => {} });
    // A mirror that accepts connections and never answers: resolution hangs inside the job.
    hung = createTcpServer((s) => void sockets.push(s));
    await new Promise<void>((r) => hung!.listen(0, "127.0.0.1", r));
    const port = (hung.address() as { port: number }).port;
    const ttl = { ZLH_LEASE_TTL_MS: "1500" };
    const first = await startControlPlaneProcess(url, { ...ttl, ZLH_ARTIFACT_SOURCE: "mirror", ZLH_ARTIFACT_MIRROR: `http://127.0.0.1:${port}` });
    planes.push(first);
    await enroll(api(first.url), "dead-cp-host");
    const server = await createServer(api(first.url));
    await waitFor(async () => (await sql!`select 1 from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = 'server.provision' and j.locked_by is not null`).length > 0, 15_000, "the job locked");
    first.signal("SIGKILL");
    await first.exited;

    const second = await startControlPlaneProcess(url, ttl);
    planes.push(second);
    // Unlocked once its worker has not been seen for a TTL, then resolved from the offline mirror.
    await waitFor(async () => (await sql!`select manifest is not null as resolved from servers where id = ${server.id}`)[0]?.resolved, 3 * 1500 + 5000, "the job run again");
    expect(second.output.some((l) => l.includes("unlocked the jobs of control-plane workers no longer alive"))).toBe(true);
  });
});
