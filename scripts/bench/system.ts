import { createMigratedDatabase, dropDatabase, uniqueName } from "@zlh/testing";
import { api, enroll, type Api } from "../../test/support/api";
import { startControlPlaneProcess, type ControlPlaneProc } from "../../test/support/processes";

export interface BenchSystem {
  /** The first control-plane process (of `cps`). */
  cp: ControlPlaneProc;
  call: Api;
  /** Every control-plane process on the database (one unless asked for more), and an API client for each. */
  cps: ControlPlaneProc[];
  calls: Api[];
  databaseUrl: string;
  hosts: { id: string; agentToken: string }[];
  close(): Promise<void>;
}

/** A fresh database and `controlPlanes` control-plane processes on it with `hosts` enrolled hosts and ranges big enough for any run. */
export async function startSystem(adminUrl: string, hosts: number, env: Record<string, string> = {}, controlPlanes = 1): Promise<BenchSystem> {
  const name = uniqueName("zlh_bench");
  const databaseUrl = await createMigratedDatabase(adminUrl, name);
  const cps: ControlPlaneProc[] = [];
  try {
    for (let i = 0; i < controlPlanes; i++) {
      cps.push(await startControlPlaneProcess(databaseUrl, { LOG_LEVEL: "warn", ZLH_VMID_RANGE: "100000-199999", ZLH_PORT_RANGE: "10000-60999", ...env }));
    }
  } catch (err) {
    await Promise.all(cps.map((c) => c.stop()));
    throw err;
  }
  const cp = cps[0]!;
  const calls = cps.map((c) => api(c.url));
  const call = calls[0]!;
  const enrolled = [];
  for (let i = 0; i < hosts; i++) enrolled.push(await enroll(call, `bench-${i}`));
  return {
    cp,
    call,
    cps,
    calls,
    databaseUrl,
    hosts: enrolled,
    async close() {
      await Promise.all(cps.map((c) => c.stop()));
      await dropDatabase(adminUrl, name);
    },
  };
}

let n = 0;
export function createBody() {
  n++;
  return { customerId: `bench-${n % 50}`, name: `bench-${n}`, minecraftVersion: "1.21.1", memoryMiB: 512, cpuCores: 1, diskGiB: 1 };
}
