import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";
import { afterAll, describe, expect, inject, it } from "vitest";
import { nextPortRange, withDatabase } from "@zlh/testing";
import { createServer, enroll, serverStatus } from "../support/api";
import { killSimServers, startAgentProcess, startControlPlaneProcess, tempDir, waitFor, type Proc } from "../support/processes";
import { httpsApi, makeTestCa } from "../support/tls";

const run = promisify(execFile);

/**
 * docs/install.md's steps, as an operator follows them: the database belongs
 * to a role that is no superuser and cannot create databases or roles; the
 * control plane migrates it at start and serves HTTPS with a certificate of a
 * private CA, which the agent trusts through NODE_EXTRA_CA_CERTS (and refuses
 * without it); a `pg_dump` of the database, restored into a new
 * database with `pg_restore`, is a control plane that knows every server and
 * host as before (its agents reconnect with the tokens they hold).
 */
describe("installing from nothing: a database owned by an ordinary role, TLS for the API and the agents, a restore from a dump", () => {
  const adminUrl = inject("pgAdminUrl");
  const suffix = `${process.pid}_${randomBytes(3).toString("hex")}`;
  const role = `zlh_owner_${suffix}`;
  const password = randomBytes(12).toString("hex");
  const databases = [`zlh_install_${suffix}`, `zlh_restored_${suffix}`];
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const stops: (() => Promise<void>)[] = [];

  const ownerUrl = (db: string) => {
    const u = new URL(withDatabase(adminUrl, db));
    u.username = role;
    u.password = password;
    return u.toString();
  };

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    for (const db of databases) await admin.unsafe(`drop database if exists "${db}" with (force)`);
    await admin.unsafe(`drop role if exists "${role}"`);
    await admin.end();
  });

  it("migrates, runs a server over TLS, and after a dump and restore into a new database still knows it", async () => {
    // pg_dump refuses a server of a newer major version ("server version mismatch"): say what to do before
    // anything runs (the embedded Postgres of `pnpm test` without DATABASE_URL is 17; Debian 12's client is 15).
    const [{ server_version_num: serverVersion }] = await admin`show server_version_num`;
    const clientMajor = Number(/(\d+)\.\d+/.exec((await run("pg_dump", ["--version"])).stdout)?.[1]);
    const serverMajor = Math.floor(Number(serverVersion) / 10_000);
    if (clientMajor < serverMajor) {
      throw new Error(`pg_dump ${clientMajor} cannot dump this Postgres ${serverMajor}: set DATABASE_URL to a Postgres of version ${clientMajor} or older (as .ci/run does), or install postgresql-client-${serverMajor}.`);
    }
    // The docs' "Postgres" step, word for word in SQL.
    await admin.unsafe(`create role "${role}" login password '${password}' nosuperuser nocreatedb nocreaterole`);
    await admin.unsafe(`create database "${databases[0]}" owner "${role}"`);
    const [flags] = await admin`select rolsuper, rolcreatedb, rolcreaterole from pg_roles where rolname = ${role}`;
    expect(flags).toEqual({ rolsuper: false, rolcreatedb: false, rolcreaterole: false });

    const simRoot = await tempDir("sim");
    const stateDir = await tempDir("state");
    stops.push(() => killSimServers(simRoot));
    // One port range for both databases: the restored one holds the same servers and ports.
    const env = { ZLH_PORT_RANGE: nextPortRange() };
    const tls = await makeTestCa(await tempDir("tls"));
    let cp = await startControlPlaneProcess(ownerUrl(databases[0]!), env, undefined, tls);
    stops.push(() => cp.stop());
    expect(cp.url).toMatch(/^https:/);
    // What the operator reads in the log names the scheme it serves (Fastify's own line said http:// behind TLS).
    const listening = cp.output.filter((l) => l.includes("Server listening at"));
    expect(listening.length).toBeGreaterThan(0);
    for (const line of listening) expect(line).toMatch(/Server listening at https:\/\//);
    let call = httpsApi(cp.url, tls.ca);
    const host = await enroll(call, "install-host");
    const startAgent = (controlUrl: string, trust = true): Proc => {
      const agent = startAgentProcess({ controlUrl, token: host.agentToken, simRoot, stateDir, extra: trust ? { NODE_EXTRA_CA_CERTS: tls.caFile } : {} });
      stops.push(() => agent.stop());
      return agent;
    };

    // Without the CA the agent refuses the certificate: it never connects, and says why.
    const untrusting = startAgent(cp.url, false);
    await waitFor(async () => untrusting.output.some((l) => /self[- ]signed certificate|unable to verify|UNABLE_TO_VERIFY|SELF_SIGNED/i.test(l)), 20_000, "the agent's certificate error");
    expect((await call("GET", "/v1/hosts")).body.items[0].connected).toBe(false);
    await untrusting.stop();

    let agent = startAgent(cp.url);
    const server = await createServer(call);
    await waitFor(async () => (await serverStatus(call, server.id)) === "running", 30_000, "running on the owner's database, over TLS");

    // Backing up: a custom-format dump, taken while everything runs.
    const dump = join(await tempDir("dump"), "zlh.dump");
    await run("pg_dump", ["--format=custom", "--file", dump, ownerUrl(databases[0]!)]);

    // Restoring: both processes stopped, a new empty database owned by the role, pg_restore as the role.
    await agent.stop();
    await cp.stop();
    await admin.unsafe(`create database "${databases[1]}" owner "${role}"`);
    await run("pg_restore", ["--no-owner", "--exit-on-error", "--dbname", ownerUrl(databases[1]!), dump]);

    cp = await startControlPlaneProcess(ownerUrl(databases[1]!), env, undefined, tls);
    stops.push(() => cp.stop());
    agent = startAgent(cp.url);
    call = httpsApi(cp.url, tls.ca);
    const restored = await call("GET", `/v1/servers/${server.id}`);
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ id: server.id, vmid: server.vmid, hostId: host.id });
    // The agent's token came back with the database: it reconnects, and the server is judged running again.
    await waitFor(async () => {
      const hosts = await call("GET", "/v1/hosts");
      return hosts.body.items.find((h: { id: string; connected: boolean }) => h.id === host.id)?.connected === true;
    }, 30_000, "the agent reconnected to the restored control plane");
    await waitFor(async () => (await serverStatus(call, server.id)) === "running", 30_000, "running after the restore");
    // Sequences and locks came back too: a second server gets its own VMID and ports.
    const second = await createServer(call);
    expect(second.vmid).not.toBe(server.vmid);
    await waitFor(async () => (await serverStatus(call, second.id)) === "running", 30_000, "a new server on the restored database");
  });
});
