import { execFile } from "node:child_process";
import { createCipheriv, randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { connectDatabase } from "@zlh/db";
import { testDatabase } from "@zlh/testing";
import { createLogger, loadConfig, startControlPlane, type ControlPlane } from "@zlh/control-plane";
import { resealSecrets } from "../../apps/control-plane/src/secrets/resealSecrets";
import { secretsKey, unseal } from "../../apps/control-plane/src/secrets/sealedSecrets";
import { api, createServer, enroll } from "../support/api";
import { ADMIN_TOKEN, waitFor } from "../support/processes";
import { RawAgent } from "../support/rawAgent";

const ROOT = resolve(import.meta.dirname, "../..");
const OLD = randomBytes(32);
const NEW = randomBytes(32);
const only = (key: Buffer) => ({ current: secretsKey(key), previous: [] });

/** A value in the format releases before key ids wrote (`v1.<iv>.<tag>.<data>`), as a database upgraded from one holds. */
function legacySeal(key: Buffer, clear: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", key, iv);
  const data = Buffer.concat([c.update(clear, "utf8"), c.final()]);
  return ["v1", iv, c.getAuthTag(), data].map((p) => (typeof p === "string" ? p : p.toString("base64url"))).join(".");
}

describe("rotating ZLH_SECRETS_KEY", () => {
  const planes: ControlPlane[] = [];
  let sql: postgres.Sql;
  afterAll(async () => {
    for (const p of planes) await p.close();
    await sql?.end();
  });

  async function plane(url: string, env: Record<string, string>) {
    const config = loadConfig({ DATABASE_URL: url, PORT: "0", HOST: "127.0.0.1", ZLH_API_TOKENS: ADMIN_TOKEN, ZLH_ARTIFACT_SOURCE: "offline", ZLH_LEASE_TTL_MS: "30000", LOG_LEVEL: "silent", ...env });
    const p = await startControlPlane(config, createLogger("silent", "test"));
    planes.push(p);
    return p;
  }
  const sealedOf = async (id: string) => ((await sql`select rcon_password_enc from servers where id = ${id}`)[0]!.rcon_password_enc as string | null) ?? undefined;

  it("reads values under the old key while sealing with the new, re-seals them all, then runs without the old key", async () => {
    const url = await testDatabase();
    sql = postgres(url, { max: 2, onnotice: () => {} });

    // Before: one control plane on the old key.
    const before = await plane(url, { ZLH_SECRETS_KEY: OLD.toString("base64") });
    const host = await enroll(api(before.url), "rotate-a");
    const a = await createServer(api(before.url));
    const b = await createServer(api(before.url));
    await waitFor(async () => (await sealedOf(a.id)) && (await sealedOf(b.id)), 10_000, "sealed secrets");
    // One value as an older release sealed it.
    await sql`update servers set rcon_password_enc = ${legacySeal(OLD, "legacy-password")} where id = ${b.id}`;
    const clearA = unseal(only(OLD), (await sealedOf(a.id))!);
    expect(await sealedOf(a.id)).toMatch(new RegExp(`^v2\\.${secretsKey(OLD).id}\\.`));
    await before.close();
    planes.pop();

    // During: the new key seals, the old one still opens.
    const rotating = { ZLH_SECRETS_KEY: NEW.toString("base64"), ZLH_SECRETS_KEY_PREVIOUS: OLD.toString("base64") };
    const during = await plane(url, rotating);
    const c = await createServer(api(during.url));
    await waitFor(() => sealedOf(c.id), 10_000, "sealed secret of c");
    expect(await sealedOf(c.id)).toMatch(new RegExp(`^v2\\.${secretsKey(NEW).id}\\.`));
    const agent = await RawAgent.connect(during.url, host.agentToken);
    await agent.greet();
    const passwords = new Map<string, string | null>();
    await waitFor(async () => {
      for (const op of await agent.lease()) passwords.set(op.serverId, op.spec.rconPassword ?? null);
      return passwords.size === 3;
    }, 10_000, "three provisions leased");
    expect(passwords.get(a.id)).toBe(clearA);
    expect(passwords.get(b.id)).toBe("legacy-password");
    const clearC = passwords.get(c.id);
    expect(clearC).toMatch(/^[A-Za-z0-9_-]{24}$/);
    agent.close();
    // Without the old key those two cannot be opened yet: the re-seal is what makes removing it safe.
    expect(() => unseal(only(NEW), legacySeal(OLD, "x"))).toThrow(/neither ZLH_SECRETS_KEY/);
    expect(() => unseal(only(NEW), "clear-text")).toThrow("not a sealed secret");
    expect(() => unseal(only(NEW), `v2.${secretsKey(OLD).id}.a.b.c`)).toThrow(`sealed with key ${secretsKey(OLD).id}`);

    // The re-seal, as an operator runs it: the control plane's own command, with its env.
    const env = { ...process.env, DATABASE_URL: url, ZLH_API_TOKENS: ADMIN_TOKEN, LOG_LEVEL: "silent", ...rotating };
    const run = () => promisify(execFile)(process.execPath, ["--import", "tsx", "apps/control-plane/src/main.ts", "reseal-secrets"], { cwd: ROOT, env });
    const first = JSON.parse((await run()).stdout);
    expect(first).toEqual({ keyId: secretsKey(NEW).id, resealed: 2, unreadable: [] });
    const rows = await sql`select id, rcon_password_enc from servers where rcon_password_enc is not null`;
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r.rcon_password_enc).toMatch(new RegExp(`^v2\\.${secretsKey(NEW).id}\\.`));
    expect(JSON.stringify(rows)).not.toContain(clearA);
    // Idempotent: nothing left to do, and the value sealed under the new key was never rewritten.
    expect(JSON.parse((await run()).stdout)).toEqual({ keyId: secretsKey(NEW).id, resealed: 0, unreadable: [] });

    // After: the new key alone opens every value.
    expect(unseal(only(NEW), (await sealedOf(a.id))!)).toBe(clearA);
    expect(unseal(only(NEW), (await sealedOf(b.id))!)).toBe("legacy-password");
    expect(unseal(only(NEW), (await sealedOf(c.id))!)).toBe(clearC);
    expect(() => loadConfig({ DATABASE_URL: url, ZLH_API_TOKENS: ADMIN_TOKEN, ZLH_SECRETS_KEY: NEW.toString("base64"), ZLH_SECRETS_KEY_PREVIOUS: NEW.toString("base64") })).toThrow(/ZLH_SECRETS_KEY_PREVIOUS/);
  });

  it("leaves a value no key opens as it is and names its server, paging past it; a second run finds only that one", async () => {
    const url = await testDatabase();
    const s = postgres(url, { max: 2, onnotice: () => {} });
    const database = connectDatabase(url, { max: 2 });
    try {
      const p = await plane(url, { ZLH_SECRETS_KEY: OLD.toString("base64") });
      await enroll(api(p.url), "rotate-b");
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push((await createServer(api(p.url))).id);
      await waitFor(async () => (await s`select count(*)::int as n from servers where rcon_password_enc is not null`)[0]!.n === 5, 10_000, "sealed");
      const stranger = legacySeal(randomBytes(32), "someone else's");
      await s`update servers set rcon_password_enc = ${stranger} where id = ${ids[2]!}`;
      const keys = { current: secretsKey(NEW), previous: [secretsKey(OLD)] };

      // Pages of two: the unreadable value stays in the first pages' range and must not stop or loop the run.
      const first = await resealSecrets(database.db, keys, 2);
      expect(first).toEqual({ resealed: 4, unreadable: [{ serverId: ids[2], reason: expect.stringMatching(/neither ZLH_SECRETS_KEY/) }] });
      const report = await resealSecrets(database.db, keys, 2);
      expect(report).toEqual({ resealed: 0, unreadable: [{ serverId: ids[2], reason: expect.stringMatching(/neither ZLH_SECRETS_KEY/) }] });
      expect((await s`select rcon_password_enc from servers where id = ${ids[2]!}`)[0]!.rcon_password_enc).toBe(stranger);
      const left = await s`select count(*)::int as n from servers where rcon_password_enc is not null and not starts_with(rcon_password_enc, ${`v2.${keys.current.id}.`})`;
      expect(left[0]!.n).toBe(1);
    } finally {
      await database.close();
      await s.end();
    }
  });

  it("the command says in one sentence why it stopped, and exits 1, when the database fails", async () => {
    const url = (await testDatabase()).replace(/\/([^/?]+)(\?|$)/, "/zlh_no_such_database$2");
    const env = { ...process.env, DATABASE_URL: url, ZLH_API_TOKENS: ADMIN_TOKEN, ZLH_SECRETS_KEY: NEW.toString("base64"), LOG_LEVEL: "silent" };
    const failed = await promisify(execFile)(process.execPath, ["--import", "tsx", "apps/control-plane/src/main.ts", "reseal-secrets"], { cwd: ROOT, env }).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringMatching(/^reseal-secrets stopped: database "zlh_no_such_database" does not exist; run it again/) });
  });
});
