import { afterAll } from "vitest";
import postgres from "postgres";
import { inventoryDigest, type InventoryItem } from "@zlh/protocol";
import { apiClient, nextPortRange, TEST_SECRETS_KEY, testDatabase } from "@zlh/testing";

export { apiClient, enrollHost, type Api } from "@zlh/testing";
import { createLogger, loadConfig, startControlPlane, type StartOptions } from "../src/index";

export const ADMIN_TOKEN = "test-admin-token-0123456789";

/** The configuration of a test's control plane on its own cloned database. */
export async function testPlaneConfig(env: Record<string, string> = {}) {
  const databaseUrl = await testDatabase();
  return loadConfig({
    DATABASE_URL: databaseUrl,
    PORT: "0",
    HOST: "127.0.0.1",
    ZLH_API_TOKENS: ADMIN_TOKEN,
    ZLH_SECRETS_KEY: TEST_SECRETS_KEY,
    ZLH_ARTIFACT_SOURCE: "offline",
    ZLH_PORT_RANGE: nextPortRange(),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    // Tests send far more requests a minute than a panel; the limits have their own test (apiClients.test.ts).
    ZLH_RATE_LIMIT_PER_CLIENT: "10000000",
    ZLH_RATE_LIMIT_PER_ADDRESS: "10000000",
    ...env,
  });
}

/** A control plane on its own cloned database, closed after the file. */
export async function startTestPlane(env: Record<string, string> = {}, options: StartOptions = {}) {
  const config = await testPlaneConfig(env);
  const databaseUrl = config.databaseUrl;
  const plane = await startControlPlane(config, createLogger(config.logLevel, "test"), options);
  const sql = postgres(databaseUrl, { max: 4, onnotice: () => {} });
  afterAll(async () => {
    await plane.close();
    await sql.end();
  });
  return { plane, config, databaseUrl, sql, api: apiClient(plane.url, ADMIN_TOKEN) };
}

export function serverBody(i: number, overrides: Record<string, unknown> = {}) {
  return {
    customerId: `cust-${i % 7}`,
    name: `srv-${i}`,
    minecraftVersion: "1.21.1",
    memoryMiB: 1024,
    cpuCores: 1,
    diskGiB: 2,
    ...overrides,
  };
}

/**
 * An agent's heartbeat with `inventory`, as the gateway stores it (recordHeartbeat), on `sql`.
 * The evidence time is now, but always after the host's previous evidence and after every status
 * change of its servers, by at least a millisecond: reconciliation compares these times as JavaScript
 * Dates (milliseconds), so a heartbeat sent within the same millisecond as the update before it would
 * count as older than that update (judgeHost leaves the server unjudged) or as the same observation
 * as the previous heartbeat (no second observation), and a test would depend on how fast it ran.
 */
export function agentHeartbeat(sql: postgres.Sql, hostId: string, inventory: InventoryItem[]) {
  return sql`
    update hosts h set session_id = coalesce(session_id, gen_random_uuid()), last_heartbeat_at = now(),
      inventory = ${sql.json(inventory as never)}, inventory_digest = ${inventoryDigest(inventory)},
      inventory_at = greatest(clock_timestamp(), h.inventory_at + interval '1 millisecond',
        (select max(s.status_changed_at) from servers s where s.host_id = h.id) + interval '1 millisecond')
    where id = ${hostId}`;
}
