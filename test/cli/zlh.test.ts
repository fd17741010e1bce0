import { randomUUID } from "node:crypto";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZLH_VERSION } from "@zlh/process";
import { createServer } from "../support/api";
import { cliPhaseSteps } from "../support/cliPhases";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { ADMIN_TOKEN, simServerPids, startControlPlaneProcess, tempDir, waitFor } from "../support/processes";
import { makeTestCa } from "../support/tls";
import { killAllZlh, startZlh, zlh } from "./zlhRunner";

/** The CLI end to end: its own process against a control-plane process and a real agent on the sim runtime. */
describe("zlh", () => {
  let c: E2eCluster;
  let home: string;
  let env: Record<string, string>;
  let server: { id: string };
  beforeAll(async () => {
    c = await startE2eCluster("cli-host");
    c.startAgent();
    home = await tempDir("cli-home");
    env = { HOME: home, ZLH_URL: c.cp.url, ZLH_TOKEN: ADMIN_TOKEN };
  });
  afterAll(async () => {
    killAllZlh();
    await c?.close();
    // close() SIGKILLs the sim servers; a killed process lingers in /proc until the kernel is done with it.
    if (c) await waitFor(async () => (await simServerPids(c.simRoot)).length === 0, 10_000, "the sim servers gone");
  });

  it("prints its version", async () => {
    const res = await zlh(["--version"], { HOME: home });
    expect(res).toMatchObject({ code: 0, stdout: `zlh ${ZLH_VERSION}\n` });
  });

  it("creates a server and draws its phases until it runs", async () => {
    const res = await zlh(["servers", "create", "--name", "cli-one", "--customer", "cli", "--minecraft", "1.21.1", "--memory", "1024", "--disk", "1"], env);
    expect(res.code, res.stderr).toBe(0);
    const phases = res.stderr.split("\n").filter((l) => l.startsWith("["));
    expect(phases.at(-1)).toMatch(/^\[#{20}\] 5\/5 running$/);
    // Every phase gets its line, in order, also one passed between two polls (each event is drawn as it is read),
    // and the download shows its files and bytes.
    const steps = cliPhaseSteps(res.stderr);
    expect([...new Set(steps.all)].sort()).toEqual([1, 2, 3, 4, 5]);
    for (const attempt of steps.attempts) expect(attempt).toEqual([...attempt].sort());
    expect(phases).toContainEqual(expect.stringMatching(/^\[#{10}-{10}\] 3\/5 placing on the host \(downloading \d+\/\d+ \d+ B\/[\d.]+ KiB\)$/));
    const [header, row] = res.stdout.trim().split("\n");
    expect(header).toMatch(/^ID\s+NAME\s+CUSTOMER\s+STATUS/);
    expect(row).toMatch(/^\S{36}\s+cli-one\s+cli\s+running\s/);
    server = { id: row!.split(/\s+/)[0]! };
    expect((await c.call("GET", `/v1/servers/${server.id}`)).body.status).toBe("running");
  });

  it("lists and gets as tables, and --json prints exactly the API's JSON", async () => {
    const list = await zlh(["servers", "list"], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+NAME\s+CUSTOMER\s+STATUS\s+TYPE\s+VERSION\s/);
    expect(list.stdout).toMatch(new RegExp(`^${server.id}\\s+cli-one\\s+cli\\s+running\\s+fabric\\s+1\\.21\\.1\\s`, "m"));
    const named = await zlh(["--json", "servers", "list", "--name", "cli-one"], env);
    expect(JSON.parse(named.stdout).items.map((s: { id: string }) => s.id)).toEqual([server.id]);
    expect(JSON.parse((await zlh(["--json", "servers", "list", "--name", "cli-on"], env)).stdout).items).toEqual([]);
    const json = await zlh(["--json", "servers", "list"], env);
    expect(JSON.parse(json.stdout)).toEqual((await c.call("GET", "/v1/servers")).body);
    const got = await zlh(["servers", "get", server.id], env);
    expect(got.stdout).toMatch(/^status:\s+running$/m);
    expect(got.stdout).toMatch(/^ports\.game:\s+\d+$/m);
    const gotJson = await zlh(["servers", "get", server.id, "--json"], env);
    expect(JSON.parse(gotJson.stdout)).toEqual((await c.call("GET", `/v1/servers/${server.id}`)).body);
  });

  it("gets an operation by id, as the API answers it", async () => {
    const events = (await c.call("GET", `/v1/servers/${server.id}/events`)).body.items as { type: string; operationId: string | null }[];
    const opId = events.find((e) => e.type === "op.queued")!.operationId!;
    const got = await zlh(["operations", "get", opId], env);
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toMatch(/^kind:\s+provision$/m);
    expect(got.stdout).toMatch(/^status:\s+succeeded$/m);
    const json = await zlh(["--json", "operations", "get", opId], env);
    expect(JSON.parse(json.stdout)).toEqual((await c.call("GET", `/v1/operations/${opId}`)).body);
    const missing = await zlh(["operations", "get", "nope"], env);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/operation_not_found/);
  });

  it("runs a console command and prints the reply", async () => {
    const res = await zlh(["command", server.id, "list"], env);
    expect(res).toMatchObject({ code: 0, stdout: "There are 0 of a max of 20 players online: \n" });
  });

  it("follows the console log with logs -f, and ends on SIGTERM with 0", async () => {
    const follow = startZlh(["logs", "-f", server.id, "--tail", "0"], env);
    // The stream is open once the agent answers it; say lines until one shows.
    await waitFor(async () => {
      await c.call("POST", `/v1/servers/${server.id}/commands`, { command: "say followed by the cli" });
      return follow.stdout().includes("[Rcon] followed by the cli");
    }, 30_000, "the line in logs -f");
    follow.child.kill("SIGTERM");
    expect((await follow.done).code).toBe(0);
  });

  it("takes a backup and lists it", async () => {
    const res = await waitFor(async () => {
      const r = await zlh(["--json", "backups", "create", server.id, "--wait"], env);
      // A heal or a log read may hold the server for a moment: 409 server_busy is exit 4, worth another try.
      return r.code === 4 ? null : r;
    }, 30_000, "backup accepted");
    expect(res.code, res.stderr).toBe(0);
    const backup = JSON.parse(res.stdout) as { id: string; status: string };
    expect(backup.status).toBe("completed");
    const list = await zlh(["backups", "list", server.id], env);
    expect(list.stdout).toMatch(new RegExp(`^${backup.id}\\s+completed\\s+\\d`, "m"));
    const all = await zlh(["--json", "backups", "list", server.id, "--limit", "1", "--all"], env);
    expect(all.code, all.stderr).toBe(0);
    const pages = JSON.parse(all.stdout) as { items: { id: string }[]; nextCursor: string | null };
    expect(pages.nextCursor).toBeNull();
    expect(pages.items.map((b) => b.id)).toContain(backup.id);
  });

  it("changes a server and follows the change until it is applied", async () => {
    const res = await zlh(["servers", "change", server.id, "--memory", "2048"], env);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr.trim().split("\n").at(-1)).toMatch(/5\/5 running$/);
    const after = (await c.call("GET", `/v1/servers/${server.id}`)).body;
    expect(after.memoryMiB).toBe(2048);
    expect(after.change).toBeNull();
    expect((await c.call("GET", `/v1/servers/${server.id}/changes?limit=1`)).body.items[0]).toMatchObject({ generation: after.generation, status: "applied" });
    const history = await zlh(["servers", "changes", server.id, "--limit", "1"], env);
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout).toMatch(new RegExp(`^${after.generation}\\s+applied\\s+memoryMiB\\s`, "m"));
  });

  it("watches events from now: sees a new one, not the past, and stops at --limit", async () => {
    const watch = startZlh(["--json", "events", "--watch", "--server", server.id, "--type", "server.command", "--limit", "1"], env);
    await waitFor(async () => watch.stderr().includes("following events after") || watch.child.exitCode !== null, 20_000, "watch started");
    // The stream opens just after the cursor is taken; keep saying until the watcher has seen one.
    const said = waitFor(async () => {
      if (watch.child.exitCode !== null) return true;
      await c.call("POST", `/v1/servers/${server.id}/commands`, { command: "say watched" });
      return watch.child.exitCode !== null;
    }, 30_000, "the watcher to see an event");
    const res = await watch.done;
    await said;
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ type: "server.command", serverId: server.id, data: { command: "say watched" } });
  });

  it("ends events --watch on SIGINT with 0", async () => {
    const watch = startZlh(["events", "--watch"], env);
    await waitFor(async () => watch.stderr().includes("following events"), 20_000, "watch started");
    watch.child.kill("SIGINT");
    expect((await watch.done).code).toBe(0);
  });

  it("cordons and uncordons a host by name", async () => {
    const cordoned = await zlh(["hosts", "cordon", "cli-host"], env);
    expect(cordoned.code).toBe(0);
    expect(cordoned.stdout).toMatch(/cli-host\s+cli-host\s+connected\s+.*\s+cordoned\s/);
    expect((await c.call("GET", "/v1/hosts")).body.items[0].cordoned).toBe(true);
    const open = await zlh(["hosts", "uncordon", c.host.id], env);
    expect(open.stdout).toMatch(/\s+open\s+/);
    expect((await c.call("GET", "/v1/hosts")).body.items[0].cordoned).toBe(false);
  });

  it("creates a server of another type with --type, and the API's refusal of mods on it fails with the API's message", async () => {
    const res = await zlh(["servers", "create", "--name", "cli-vanilla", "--customer", "cli", "--minecraft", "1.21.1", "--type", "vanilla", "--memory", "1024", "--disk", "1"], env);
    expect(res.code, res.stderr).toBe(0);
    const id = res.stdout.trim().split("\n")[1]!.split(/\s+/)[0]!;
    expect((await c.call("GET", `/v1/servers/${id}`)).body).toMatchObject({ type: "vanilla", status: "running" });
    const refused = await zlh(["servers", "change", id, "--mod", "lithium", "--no-wait"], env);
    expect(refused.stderr).toContain("runs no mods");
    expect(refused.code).not.toBe(0);
  });

  it("pins a Paper build with --build (the API's loaderVersion); an unknown one fails with the API's message, --build with --loader is usage", async () => {
    const base = ["servers", "create", "--customer", "cli", "--minecraft", "1.21.1", "--type", "paper", "--memory", "1024", "--disk", "1", "--no-wait"];
    const res = await zlh([...base, "--name", "cli-paper", "--build", "131"], env);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/\spaper\s+1\.21\.1 131\s/);
    const unknown = await zlh([...base, "--name", "cli-paper-2", "--build", "999"], env);
    expect(unknown.stderr).toContain("Paper has no build 999 of Minecraft 1.21.1; its newest: 133, 132, 131.");
    expect(unknown.code).not.toBe(0);
    expect((await zlh([...base, "--name", "cli-paper-3", "--build", "131", "--loader", "0.16.5"], env)).code).toBe(2);
  });

  it("exits 3 for not found, 4 for a conflict, 5 for auth, 2 for usage, 6 when unreachable; --json prints the API's error", async () => {
    const missing = await zlh(["--json", "servers", "get", randomUUID()], env);
    expect(missing.code).toBe(3);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: "server_not_found" });
    expect(missing.stderr).toMatch(/^zlh: server_not_found: /);

    const doomed = await createServer(c.call);
    const deleting = await zlh(["servers", "delete", doomed.id, "--wait"], env);
    expect(deleting.code).toBe(0);
    // delete has no --no-wait (waiting is its --wait): the hint names what does stop the watching.
    expect(deleting.stderr).toContain(`server ${doomed.id} accepted (deleting); following it (Ctrl-C stops watching, not the request)`);
    expect(deleting.stderr).not.toContain("--no-wait");
    const conflict = await zlh(["servers", "start", doomed.id], env);
    expect(conflict.code).toBe(4);
    expect(conflict.stderr).toMatch(/invalid_transition/);
    // Gone before the file ends, so no container of it outlives the cluster.
    await waitFor(async () => (await c.call("GET", `/v1/servers/${doomed.id}`)).body.status === "deleted", 30_000, "deleted");

    const wrong = await zlh(["servers", "list"], { ...env, ZLH_TOKEN: "not-the-token-0123456789" });
    expect(wrong.code).toBe(5);
    expect(wrong.stderr).not.toContain("not-the-token");
    const created = await zlh(["--json", "tokens", "create", "cli-reader", "--scope", "read"], env);
    const reader = JSON.parse(created.stdout) as { token: string };
    expect((await zlh(["servers", "list"], { ...env, ZLH_TOKEN: reader.token })).code).toBe(0);
    const scoped = await zlh(["servers", "stop", server.id], { ...env, ZLH_TOKEN: reader.token });
    expect(scoped.code).toBe(5);
    expect(scoped.stderr).toMatch(/forbidden/);

    expect((await zlh(["servers", "create", "--name", "x"], env)).code).toBe(2);
    expect((await zlh(["servers", "list"], { HOME: home })).code).toBe(2);
    expect((await zlh(["servers", "list", "--url", "http://127.0.0.1:1"], env)).code).toBe(6);
  });

  it("takes flags over the environment over the profile file, and never prints the token", async () => {
    const file = join(home, ".config/zlh/config.json");
    await mkdir(join(home, ".config/zlh"), { recursive: true });
    await writeFile(
      file,
      JSON.stringify({
        defaultProfile: "stale",
        profiles: { stale: { url: "http://127.0.0.1:1", token: "stale-token-0123456789" }, live: { url: c.cp.url, token: ADMIN_TOKEN } },
      }),
      { mode: 0o600 },
    );
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const noEnv = { HOME: home };
    // The default profile points nowhere; --profile and ZLH_PROFILE pick the live one.
    expect((await zlh(["servers", "list"], noEnv)).code).toBe(6);
    expect((await zlh(["servers", "list", "--profile", "live"], noEnv)).code).toBe(0);
    expect((await zlh(["servers", "list"], { ...noEnv, ZLH_PROFILE: "live" })).code).toBe(0);
    expect((await zlh(["servers", "list", "--profile", "nope"], noEnv)).code).toBe(2);
    // The environment over the profile: the stale profile's URL and token lose to ZLH_URL and ZLH_TOKEN.
    expect((await zlh(["servers", "list"], { ...noEnv, ZLH_URL: c.cp.url })).code).toBe(5);
    expect((await zlh(["servers", "list"], { ...noEnv, ZLH_URL: c.cp.url, ZLH_TOKEN: ADMIN_TOKEN })).code).toBe(0);
    // A flag over the environment.
    expect((await zlh(["servers", "list", "--url", c.cp.url], { ...noEnv, ZLH_PROFILE: "live", ZLH_URL: "http://127.0.0.1:1" })).code).toBe(0);
    const tokenFile = join(home, "token");
    await writeFile(tokenFile, `${ADMIN_TOKEN}\n`, { mode: 0o600 });
    expect((await zlh(["servers", "list", "--token-file", tokenFile], { ...noEnv, ZLH_URL: c.cp.url, ZLH_TOKEN: "wrong-token-0123456789" })).code).toBe(0);

    const shown = await zlh(["config", "--profile", "live"], { ...noEnv, ZLH_TOKEN: ADMIN_TOKEN });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`url:     ${c.cp.url}  (profile live`);
    expect(shown.stdout).toContain("token:   set (env ZLH_TOKEN)");
    for (const out of [shown.stdout, shown.stderr]) expect(out).not.toContain(ADMIN_TOKEN);
  });

  it("trusts a private CA given with --ca, ZLH_CA or NODE_EXTRA_CA_CERTS, and refuses the certificate without it (exit 6)", async () => {
    const tls = await makeTestCa(await tempDir("cli-tls"));
    // A second control plane on the same database, serving HTTPS with a certificate of that CA.
    const secure = await startControlPlaneProcess(c.databaseUrl, {}, undefined, tls);
    try {
      const tlsEnv = { HOME: home, ZLH_URL: secure.url, ZLH_TOKEN: ADMIN_TOKEN };
      const refused = await zlh(["servers", "list"], tlsEnv);
      expect(refused.code).toBe(6);
      expect(refused.stderr).toMatch(/certificate/i);
      const withFlag = await zlh(["--json", "servers", "list", "--ca", tls.caFile], tlsEnv);
      expect(withFlag.code, withFlag.stderr).toBe(0);
      expect(JSON.parse(withFlag.stdout).items.map((s: { id: string }) => s.id)).toContain(server.id);
      expect((await zlh(["servers", "list"], { ...tlsEnv, ZLH_CA: tls.caFile })).code).toBe(0);
      expect((await zlh(["servers", "list"], { ...tlsEnv, NODE_EXTRA_CA_CERTS: tls.caFile })).code).toBe(0);
    } finally {
      await secure.stop();
    }
  });
});
