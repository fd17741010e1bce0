import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { testDatabase } from "@zlh/testing";
import { api, enroll } from "../support/api";
import { startControlPlaneProcess, type ControlPlaneProc } from "../support/processes";

describe("Postgres backends killed under load", () => {
  let cp: ControlPlaneProc | undefined;
  afterAll(async () => cp?.stop());

  it("the control plane survives pg_terminate_backend mid-request and recovers", async () => {
    const url = await testDatabase();
    cp = await startControlPlaneProcess(url);
    const call = api(cp.url);
    await enroll(call, "pg-fault-host");
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    const body = (i: number) => ({ customerId: "c", name: `n${i}`, minecraftVersion: "1.21.1", memoryMiB: 512, cpuCores: 1, diskGiB: 1 });
    try {
      // postgres.js 3.4.9 crashed the process here (a write scheduled on a socket
      // that had just closed); patches/postgres@3.4.9.patch settles it instead.
      for (let i = 0; i < 30; i++) {
        void call("POST", "/v1/servers", body(i), { "idempotency-key": `storm-${i}` }).catch(() => {});
        await sql`select pg_terminate_backend(pid) from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid() and application_name = 'zlh-control-plane'`;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(cp.child.exitCode, cp.output.slice(-15).join("\n")).toBeNull();
      // Requests may fail while dead pooled connections are found and replaced; then they succeed again.
      let status = 0;
      for (let i = 0; i < 20 && status !== 202; i++) status = (await call("POST", "/v1/servers", body(100 + i), { "idempotency-key": `after-${i}` })).status;
      expect(status).toBe(202);
      // The readiness probe draws its own pooled connection, which may be one of the dead ones: it recovers the same way.
      let ready = 0;
      for (let i = 0; i < 20 && ready !== 200; i++) ready = (await fetch(`${cp.url}/readyz`)).status;
      expect(ready).toBe(200);
    } finally {
      await sql.end();
    }
  });
});
