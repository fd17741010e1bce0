import { FakeLogAgent } from "./fakeLogAgent";
import { apiClient, enrollHost, serverBody, startTestPlane, type Api } from "./harness";

/**
 * A control plane without a worker, one host whose agent answers log reads
 * (FakeLogAgent), and two servers marked running on it: what the console-log
 * tests follow.
 */
export async function startLogFixture(adminToken: string, env: Record<string, string>, name: string) {
  const t = await startTestPlane(env, { runWorker: false });
  const admin: Api = apiClient(t.plane.url, adminToken);
  const host = await enrollHost(admin, `${name}-host`);
  const servers: string[] = [];
  for (const i of [1, 2]) servers.push((await admin("POST", "/v1/servers", serverBody(i), { "idempotency-key": `${name}-${i}` })).body.id as string);
  await t.sql`update servers set status = 'running', desired_state = 'running' where id in ${t.sql(servers)}`;
  const agent = await FakeLogAgent.start(t.plane.url, host.agentToken);
  return { t, admin, agent, serverA: servers[0]!, serverB: servers[1]! };
}
