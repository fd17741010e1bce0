import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cp, mkdir, writeFile } from "node:fs/promises";
import { createServer as listen } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";
import postgres from "postgres";
import { afterAll, describe, expect, inject, it } from "vitest";
import { nextPortRange, withDatabase } from "@zlh/testing";
import { buildRelease } from "../../scripts/release/build";
import { launchChromium, screenshot } from "../support/browser";
import { cliPhaseSteps } from "../support/cliPhases";
import { blockWith, editEnvFile, envLines, repoText } from "../support/installDoc";
import { killSimServers, tempDir, waitFor } from "../support/processes";
import { httpsApi } from "../support/tls";

const sh = promisify(execFile);
const WAIT = { timeout: 60_000 };

/** A process started as the docs start one by hand, with its output kept for a failure's message. */
interface Started {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

function startShell(command: string, env: Record<string, string>, cwd: string): Started {
  const child = spawn("sh", ["-c", command], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  child.stdout!.on("data", (b: Buffer) => output.push(b.toString()));
  child.stderr!.on("data", (b: Buffer) => output.push(b.toString()));
  return { child, output, exited: new Promise((r) => child.once("exit", (code) => r(code))) };
}

async function freePort(): Promise<number> {
  const srv = listen();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * Issue 23's last proof, as a new operator does it: the release built, then docs/install.md followed with the
 * commands taken from its code blocks (so the page and this test cannot drift): a database owned by a role that is
 * no superuser, a private CA and a certificate made with the page's openssl lines, the bundled control plane and
 * agent (the sim runtime: this machine has no Proxmox) started by hand from environment files edited from
 * deploy/env's examples, the host enrolled with the page's request, the bundled CLI creating the page's server and
 * drawing its install, and the console in a real Chromium (trusting the certificate, not ignoring errors) showing the
 * same server's progress and status until it runs. The only departures from the page: `localhost` for
 * cp.zerolaghub.internal (as the page says for a try on one machine), paths under a temporary directory instead of
 * /etc and /opt, no system user (the processes run as the test's), and a port range and a sim delay of the tests'.
 */
describe("a new operator installs from the docs alone", () => {
  const adminUrl = inject("pgAdminUrl");
  const name = `zlh_walk_${process.pid}_${randomBytes(3).toString("hex")}`;
  const password = randomBytes(12).toString("hex");
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const started: Started[] = [];
  let simRoot = "";
  let browser: Browser | undefined;

  afterAll(async () => {
    await browser?.close();
    for (const p of started.reverse()) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
      p.child.kill("SIGTERM");
      const code = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r("timeout"), 20_000))]);
      if (code === "timeout") p.child.kill("SIGKILL");
    }
    if (simRoot) await killSimServers(simRoot);
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.unsafe(`drop role if exists "${name}"`);
    await admin.end();
  });

  it("builds, installs, watches a server install in the CLI and the console, and stops cleanly", async () => {
    const install = await repoText("docs/install.md");
    const work = await tempDir("walkthrough");
    const dir = (d: string) => join(work, d);
    for (const d of ["etc/tls", "opt", "tls", "state", "home"]) await mkdir(dir(d), { recursive: true });
    // The page's absolute paths, under this test's directory.
    const local = (text: string) =>
      text.replaceAll("/etc/zerolaghub", dir("etc")).replaceAll("/opt/zerolaghub", dir("opt")).replaceAll("/var/lib/zlh-agent", dir("state"));
    const hostName = "localhost";
    const named = (text: string) => text.replaceAll("cp.zerolaghub.internal", hostName);

    // The release, as `pnpm build` makes it, copied where step 4 puts it.
    await buildRelease(dir("dist"));
    await cp(join(dir("dist"), "control-plane"), dir("opt/control-plane"), { recursive: true });
    await cp(join(dir("dist"), "agent"), dir("opt/agent"), { recursive: true });

    // 2. Postgres: the page's SQL, with this test's names.
    const sqlBlock = blockWith(install, "2. Postgres: a role and a database", "create role");
    const statements = /<<'SQL'\n([\s\S]*?)\nSQL/.exec(sqlBlock)![1]!.split(";").map((s) => s.trim()).filter(Boolean);
    expect(statements).toHaveLength(2);
    for (const statement of statements) await admin.unsafe(statement.replace(/\bzerolaghub\b/g, `"${name}"`).replace("CHANGE-ME", password));
    const [flags] = await admin`select rolsuper, rolcreatedb, rolcreaterole from pg_roles where rolname = ${name}`;
    expect(flags).toEqual({ rolsuper: false, rolcreatedb: false, rolcreaterole: false });
    const owner = new URL(withDatabase(adminUrl, name));
    owner.username = name;
    owner.password = password;

    // 3. TLS: the page's openssl lines, run as written, for `localhost`. The system user its files belong to is made
    // before they are installed with its group (the page once used the group a later step created).
    const tlsBlock = blockWith(install, "3. TLS: one certificate, trusted by every agent", "openssl req -x509");
    const tlsLines = tlsBlock.trim().split("\n");
    expect(tlsLines.findIndex((l) => l.startsWith("useradd "))).toBeLessThan(tlsLines.findIndex((l) => l.includes("-g zerolaghub")));
    expect(tlsLines.findIndex((l) => l.startsWith("useradd "))).toBeGreaterThanOrEqual(0);
    for (const line of tlsLines.filter((l) => /^(openssl|printf) /.test(l))) await sh("sh", ["-c", named(line)], { cwd: dir("tls") });
    await cp(join(dir("tls"), "cp.pem"), dir("etc/tls/cp.pem"));
    await cp(join(dir("tls"), "cp.key"), dir("etc/tls/cp.key"));
    await cp(join(dir("tls"), "ca.pem"), dir("etc/ca.pem"));
    const ca = await repoText(join(dir("tls"), "ca.pem"));

    // 4. The control plane: its environment file from the example, edited as the page says.
    const adminToken = randomBytes(32).toString("base64");
    const port = await freePort();
    const cpExample = await repoText("deploy/env/control-plane.env.example");
    const cpEnv = editEnvFile(local(cpExample), {
      DATABASE_URL: owner.toString(),
      PORT: String(port),
      // The example's 0.0.0.0 would expose a test's control plane on every interface.
      HOST: "127.0.0.1",
      ZLH_API_TOKENS: `ops:admin=${adminToken},panel:panel=${randomBytes(32).toString("base64")}`,
      ZLH_SECRETS_KEY: randomBytes(32).toString("base64"),
      // The page's substitution for a machine without internet, a line the example holds commented out.
      ZLH_ARTIFACT_SOURCE: envLines(cpExample).find((l) => l.key === "ZLH_ARTIFACT_SOURCE" && l.commented)!.value,
      // Tests share the machine's ports: one range per file (not an operator's concern).
      ZLH_PORT_RANGE: nextPortRange(),
    });
    expect(cpEnv).not.toContain("CHANGE-ME");
    expect(cpEnv).toContain(`ZLH_TLS_CERT_FILE=${dir("etc/tls/cp.pem")}`);
    await writeFile(dir("etc/control-plane.env"), cpEnv, { mode: 0o600 });

    // Started as the page's "Without systemd" line says (as this test's user: there is no zerolaghub user here).
    const byHand = /^set -a; \. (\S+); set \+a; runuser -u zerolaghub -- node (\S+)$/m.exec(blockWith(install, "Without systemd", "set -a"));
    expect(byHand, "the page's line that starts the control plane by hand").not.toBeNull();
    const base = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir("home") };
    const run = (envFile: string, bundle: string) => `set -a; . ${envFile}; set +a; exec "${process.execPath}" ${bundle}`;
    const plane = startShell(run(local(byHand![1]!), local(byHand![2]!)), base, dir("opt"));
    started.push(plane);
    const url = `https://${hostName}:${port}`;
    const call = httpsApi(url, ca, adminToken);
    await waitFor(async () => {
      if (plane.child.exitCode !== null) throw new Error(`the control plane exited:\n${plane.output.join("")}`);
      return (await call("GET", "/readyz")).body?.ok === true;
    }, 60_000, "the control plane ready over TLS");
    // Its log names the URL it serves, scheme included.
    expect(plane.output.join("")).toContain(`"url":"https://127.0.0.1:${port}"`);
    expect(plane.output.join("")).not.toMatch(/Server listening at http:\/\//);

    // 5. The host, enrolled with the page's request body and the admin token.
    const enrolBlock = blockWith(install, "5. An agent on each host", "/v1/hosts");
    const enrolBody = JSON.parse(/-d '([^']+)'/.exec(enrolBlock)![1]!);
    const enrolled = await call("POST", "/v1/hosts", enrolBody);
    expect(enrolled.status).toBe(201);

    // Without Proxmox: the agent's example edited with the page's sim lines.
    const simLines = envLines(blockWith(install, "Without Proxmox: the sim runtime", "ZLH_RUNTIME=sim"));
    const agentExample = await repoText("deploy/env/agent.env.example");
    const agentEnv = editEnvFile(local(agentExample), {
      ZLH_CONTROL_URL: named(envLines(agentExample).find((l) => l.key === "ZLH_CONTROL_URL")!.value).replace(":3000", `:${port}`),
      NODE_EXTRA_CA_CERTS: local(envLines(agentExample).find((l) => l.key === "NODE_EXTRA_CA_CERTS")!.value),
      ZLH_AGENT_TOKEN: enrolled.body.agentToken,
      ...Object.fromEntries(simLines.map((l) => [l.key, l.value])),
      // Slower containers, so the console page opened after the create still sees the agent's phases.
      ZLH_SIM_OP_DELAY_MS: "1500",
    });
    expect(agentEnv).not.toContain("CHANGE-ME");
    expect(agentEnv).toMatch(/^ZLH_RUNTIME=sim$/m);
    expect(agentEnv).toMatch(/^ZLH_ARTIFACT_SOURCE=offline$/m);
    await writeFile(dir("etc/agent.env"), agentEnv, { mode: 0o600 });
    simRoot = join(dir("state"), "sim");
    const agent = startShell(run(dir("etc/agent.env"), dir("opt/agent/zlh-agent.mjs")), base, dir("opt"));
    started.push(agent);
    await waitFor(async () => {
      if (agent.child.exitCode !== null) throw new Error(`the agent exited:\n${agent.output.join("")}`);
      return (await call("GET", "/v1/hosts")).body.items[0]?.connected === true;
    }, 60_000, "the agent connected over TLS");

    // 6. The console first, signed in on the fleet page, in a Chromium that trusts exactly this certificate.
    const spki = (
      await sh("sh", ["-c", `openssl x509 -pubkey -noout -in ${dir("etc/tls/cp.pem")} | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`])
    ).stdout.trim();
    browser = await launchChromium([`--ignore-certificate-errors-spki-list=${spki}`]);
    const page: Page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(`${url}/ui/`);
    await page.fill("input[name=token]", adminToken);
    await page.click("button[type=submit]");
    await page.waitForSelector(`tr[data-host="${enrolBody.name}"]`, WAIT);

    // The page's CLI lines, with the release's bundle for `zlh` and the environment the page exports.
    const cliBlock = blockWith(install, "6. A first server, watched", "zlh servers create");
    const exported = /^export (.+)$/m.exec(cliBlock)![1]!.split(" ").map((kv) => kv.split("=") as [string, string]);
    expect(exported.map(([k]) => k)).toEqual(["ZLH_URL", "ZLH_CA", "ZLH_TOKEN"]);
    const cliEnv = { ...base, ZLH_URL: named(exported[0]![1]).replace(":3000", `:${port}`), ZLH_CA: dir("etc/ca.pem"), ZLH_TOKEN: adminToken };
    const zlh = join(dir("dist"), "cli/zlh.mjs");
    const hosts = await sh(zlh, ["hosts", "list"], { env: cliEnv });
    expect(hosts.stdout).toContain(enrolBody.name);
    const createArgs = /^zlh (servers create .+)$/m.exec(cliBlock)![1]!.split(" ");
    const create = startShell(`exec ${zlh} ${createArgs.join(" ")}`, cliEnv, work);
    started.push(create);
    const id = (await waitFor(async () => /server (\S+) accepted/.exec(create.output.join(""))?.[1], 30_000, "the CLI's accepted line"))!;

    // The console follows the new server: its row appears on the fleet, its page shows its phases and status.
    await page.waitForSelector(`tr[data-server="${id}"]`, WAIT);
    await page.click(`tr[data-server="${id}"] a`);
    await page.waitForSelector(".summary [data-status]", WAIT);
    await page.evaluate(`(() => {
      const seen = (window.seen = { statuses: [], phases: [] });
      const note = () => {
        const s = document.querySelector(".summary [data-status]")?.getAttribute("data-status");
        const p = document.querySelector(".progress")?.getAttribute("data-phase");
        if (s && seen.statuses.at(-1) !== s) seen.statuses.push(s);
        if (p && seen.phases.at(-1) !== p) seen.phases.push(p);
      };
      note();
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    })()`);
    await page.waitForSelector('.summary [data-status="running"]', WAIT);
    await page.waitForSelector('[data-condition="running"].ok', WAIT);
    const seen = (await page.evaluate("window.seen")) as { statuses: string[]; phases: string[] };
    expect(seen.statuses.at(-1)).toBe("running");
    expect(seen.statuses.length).toBeGreaterThan(1);
    // The progress bar showed the agent's own phases on the way (creating, downloading, placing, starting, waiting).
    expect(seen.phases.filter((p) => ["creating", "downloading", "placing", "starting", "waiting"].includes(p))).not.toHaveLength(0);
    await page.waitForSelector('.events li[data-type="server.running"]', WAIT);
    await screenshot(page, "operator-walkthrough");
    expect(problems).toEqual([]);

    // The CLI drew every phase in order, the download's files and bytes among them, and exited 0 with the server's row.
    expect(await create.exited).toBe(0);
    const cliOut = create.output.join("");
    const phases = cliOut.split("\n").filter((l) => l.startsWith("["));
    const steps = cliPhaseSteps(cliOut);
    expect([...new Set(steps.all)].sort()).toEqual([1, 2, 3, 4, 5]);
    for (const attempt of steps.attempts) expect(attempt).toEqual([...attempt].sort());
    expect(phases).toContainEqual(expect.stringMatching(/3\/5 placing on the host \(downloading \d+\/\d+ [\d.]+ B\/[\d.]+ KiB\)$/));
    expect(cliOut).toMatch(new RegExp(`^${id}\\s+survival\\s+c-42\\s+running\\s+fabric\\s+1\\.21\\.1\\s`, "m"));

    // Stopping: SIGTERM, as Ctrl-C or systemd would, and both exit 0.
    for (const p of [agent, plane]) {
      p.child.kill("SIGTERM");
      expect(await p.exited, p.output.join("")).toBe(0);
    }
  }, 300_000);
});
