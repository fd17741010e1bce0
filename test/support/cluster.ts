import postgres from "postgres";
import { testDatabase } from "@zlh/testing";
import { api, enroll, type Api } from "./api";
import { killSimServers, startAgentProcess, startControlPlaneProcess, tempDir, type ControlPlaneProc, type Proc } from "./processes";

export interface AgentOptions {
  extra?: Record<string, string>;
  /** Defaults to the cluster's sim root. */
  simRoot?: string;
  /** Defaults to the cluster's state directory (kept across agent restarts, as on a host). */
  stateDir?: string;
}

/**
 * What an end-to-end test file needs: a control-plane process on its own
 * database, one enrolled host, a sim root for its containers, and a way to
 * start that host's agents. `close()` releases it all in reverse order.
 */
export interface E2eCluster {
  databaseUrl: string;
  sql: postgres.Sql;
  cp: ControlPlaneProc;
  call: Api;
  host: { id: string; agentToken: string };
  simRoot: string;
  stateDir: string;
  /** Starts an agent process for the host; every one started is stopped by close(). */
  startAgent(opts?: AgentOptions): Proc;
  /** Another sim root (another "host disk"), whose servers close() kills too. */
  newSimRoot(): Promise<string>;
  close(): Promise<void>;
}

export async function startE2eCluster(hostName: string, env: Record<string, string> = {}): Promise<E2eCluster> {
  const databaseUrl = await testDatabase();
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
  const cp = await startControlPlaneProcess(databaseUrl, env);
  const call = api(cp.url);
  const host = await enroll(call, hostName);
  const simRoots = [await tempDir("sim")];
  const stateDir = await tempDir("state");
  const agents: Proc[] = [];
  return {
    databaseUrl,
    sql,
    cp,
    call,
    host,
    simRoot: simRoots[0]!,
    stateDir,
    startAgent(opts = {}) {
      const agent = startAgentProcess({
        controlUrl: cp.url,
        token: host.agentToken,
        simRoot: opts.simRoot ?? simRoots[0]!,
        stateDir: opts.stateDir ?? stateDir,
        extra: opts.extra,
      });
      agents.push(agent);
      return agent;
    },
    async newSimRoot() {
      const root = await tempDir("sim");
      simRoots.push(root);
      return root;
    },
    async close() {
      await Promise.all(agents.map((a) => a.stop()));
      await cp.stop();
      for (const root of simRoots) await killSimServers(root);
      await sql.end();
    },
  };
}
