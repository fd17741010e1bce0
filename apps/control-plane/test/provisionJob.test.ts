import { quickAddJob, run, Logger } from "graphile-worker";
import { describe, expect, it } from "vitest";
import pino from "pino";
import { mirrorSource, OFFLINE_MIRROR_DIR } from "@zlh/artifacts";
import { connectDatabase, PROVISION_JOB } from "@zlh/db";
import { provisionServerTask } from "../src/jobs/handlers/provisionServer";
import { enrollHost, serverBody, startTestPlane } from "./harness";

describe("server.provision job", () => {
  it("creates one operation even when the same job runs twice at once", async () => {
    const t = await startTestPlane({}, { runWorker: false });
    await enrollHost(t.api, "job-host");
    const { body: server } = await t.api("POST", "/v1/servers", serverBody(1), { "idempotency-key": "job-1" });
    const database = connectDatabase(t.databaseUrl, { max: 4 });
    const task = provisionServerTask({
      db: database.db,
      source: mirrorSource(OFFLINE_MIRROR_DIR, "offline"),
      secretsKeys: t.config.secretsKeys,
      log: pino({ level: "silent" }),
    });

    // Every run waits at the gate until two runs are in flight together.
    let inFlight = 0;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let runs = 0;
    let started!: () => void;
    const firstStarted = new Promise<void>((r) => (started = r));
    const runner = await run({
      connectionString: t.databaseUrl,
      concurrency: 4,
      noHandleSignals: true,
      pollInterval: 50,
      logger: new Logger(() => () => {}),
      taskList: {
        [PROVISION_JOB]: async (payload, helpers) => {
          if (++inFlight === 1) started();
          if (inFlight === 2) open();
          await gate;
          await task(payload, helpers);
          runs++;
        },
      },
    });
    // The create enqueued the first job; while it is locked and running, add it again:
    // graphile-worker then inserts a second job rather than replacing the running one.
    await firstStarted;
    await quickAddJob({ connectionString: t.databaseUrl }, PROVISION_JOB, { serverId: server.id }, { jobKey: `provision:${server.id}`, jobKeyMode: "replace" });
    // And a burst of direct concurrent runs on top.
    await Promise.all(Array.from({ length: 50 }, () => task({ serverId: server.id }, { job: { attempts: 1, max_attempts: 10 } } as never)));
    await gate;
    while (runs < 2) await new Promise((r) => setTimeout(r, 20));
    await runner.stop();
    await database.close();

    expect(runs).toBe(2);
    const [{ ops }] = await t.sql`select count(*)::int as ops from operations where server_id = ${server.id}`;
    const [{ queued }] = await t.sql`select count(*)::int as queued from events where server_id = ${server.id} and type = 'op.queued'`;
    const [{ resolved }] = await t.sql`select count(*)::int as resolved from events where server_id = ${server.id} and type = 'server.manifest_resolved'`;
    expect({ ops, queued, resolved }).toEqual({ ops: 1, queued: 1, resolved: 1 });
  });
});
