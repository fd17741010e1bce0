import { createMigratedDatabase, dropDatabase, uniqueName } from "@zlh/testing";
import { api, enroll, type Api } from "../../test/support/api";
import { startControlPlaneProcess, type ControlPlaneProc } from "../../test/support/processes";

export interface BenchSystem {
  cp: ControlPlaneProc;
  call: Api;
  databaseUrl: string;
  hosts: { id: string; agentToken: string }[];
  close(): Promise<void>;
}

/** A fresh database and one control-plane process with `hosts` enrolled hosts and ranges big enough for any run. */
export async function startSystem(adminUrl: string, hosts: number, env: Record<string, string> = {}): Promise<BenchSystem> {
  const name = uniqueName("zlh_bench");
  const databaseUrl = await createMigratedDatabase(adminUrl, name);
  const cp = await startControlPlaneProcess(databaseUrl, {
    LOG_LEVEL: "warn",
    ZLH_VMID_RANGE: "100000-199999",
    ZLH_PORT_RANGE: "10000-60999",
    ...env,
  });
  const call = api(cp.url);
  const enrolled = [];
  for (let i = 0; i < hosts; i++) enrolled.push(await enroll(call, `bench-${i}`));
  return {
    cp,
    call,
    databaseUrl,
    hosts: enrolled,
    async close() {
      await cp.stop();
      await dropDatabase(adminUrl, name);
    },
  };
}

let n = 0;
export function createBody() {
  n++;
  return { customerId: `bench-${n % 50}`, name: `bench-${n}`, minecraftVersion: "1.21.1", memoryMiB: 512, cpuCores: 1, diskGiB: 1 };
}
