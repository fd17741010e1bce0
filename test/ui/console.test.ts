import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { ensureConsoleBuilt } from "../../scripts/console/buildConsole";
import { createServer, enroll } from "../support/api";
import { launchChromium, screenshot } from "../support/browser";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { ADMIN_TOKEN, simServerPids, waitFor } from "../support/processes";

/** Every wait in the page is on its state (a selector, a text), never a sleep; this bounds each. */
const WAIT = { timeout: 30_000 };

/**
 * The operator console in a real headless Chromium against a control-plane
 * process and a real agent on the sim runtime: sign in, follow a server from
 * pending to running live, its console, backups, a read token that cannot
 * act, and a revoked token that signs the page out.
 */
describe("the operator console in a browser", () => {
  let c: E2eCluster;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let serverId: string;
  let reader: { id: string; token: string };
  /** One signed-in tab per token, carried from test to test as an operator's would be. */
  let admin: Page;
  let viewer: Page;

  beforeAll(async () => {
    // At once (the build and the browser's start take seconds each), each kept for afterAll even if another fails.
    const [built, cluster, chromium] = await Promise.allSettled([
      ensureConsoleBuilt(),
      // The token checks of open streams every 300 ms, so a revocation reaches the page quickly.
      startE2eCluster("ui-host", { ZLH_STREAM_TOKEN_RECHECK_MS: "300" }),
      launchChromium(),
    ]);
    if (cluster.status === "fulfilled") c = cluster.value;
    if (chromium.status === "fulfilled") browser = chromium.value;
    for (const r of [built, cluster, chromium]) if (r.status === "rejected") throw r.reason;
    const created = await c.call("POST", "/v1/api-tokens", { client: "viewer", scope: "read" });
    expect(created.status).toBe(201);
    reader = created.body;
  });
  afterAll(async () => {
    await Promise.all(contexts.map((ctx) => ctx.close().catch(() => {})));
    await browser?.close();
    await c?.close();
    if (c) await waitFor(async () => (await simServerPids(c.simRoot)).length === 0, 10_000, "the sim servers gone");
  });

  async function signedIn(token: string): Promise<Page> {
    // A context of its own: its own sessionStorage, as a separate browser tab would have.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    const problems: string[] = [];
    // Script errors and CSP refusals; not the "Failed to load resource" Chromium logs for any 4xx (a 409 while a server settles).
    page.on("console", (m) => m.type() === "error" && /Content Security Policy/i.test(m.text()) && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(e.message));
    (page as Page & { problems?: string[] }).problems = problems;
    await page.goto(`${c.cp.url}/ui/`);
    await page.fill("input[name=token]", token);
    await page.click("button[type=submit]");
    await page.waitForSelector("header.top .caller", WAIT);
    return page;
  }

  it("signs in, shows the fleet, and follows a new server from pending to running live", async () => {
    const page = (admin = await signedIn(ADMIN_TOKEN));
    // A bare ZLH_API_TOKENS token is an admin client named by the token's sha256.
    expect(await page.textContent(".caller")).toMatch(/^[0-9a-f]{64} \(admin\)$/);
    await page.waitForSelector('tr[data-host="ui-host"]', WAIT);
    expect(await page.textContent('tr[data-host="ui-host"]')).toContain("disconnected");
    await page.waitForSelector("text=No server yet.", WAIT);

    // Created while no agent serves the host: it stays pending until one connects.
    serverId = (await createServer(c.call, { name: "browser-one" })).id;
    const row = `tr[data-server="${serverId}"]`;
    await page.waitForSelector(`${row} [data-status="pending"]`, WAIT);
    await page.click(`${row} a`);
    await page.waitForSelector('.summary [data-status="pending"]', WAIT);
    expect(page.url()).toBe(`${c.cp.url}/ui/servers/${serverId}`);
    expect(await page.textContent(".progress")).toContain("waiting for a host's agent");
    // Every status the page shows from now on, as it shows it.
    // (Strings, evaluated in the page: its globals are the browser's, not this file's.)
    await page.evaluate(`(() => {
      const seen = (window.seenStatuses = []);
      const note = () => {
        const s = document.querySelector(".summary [data-status]")?.getAttribute("data-status");
        if (s && seen.at(-1) !== s) seen.push(s);
      };
      note();
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    })()`);
    await screenshot(page, "server-pending");

    c.startAgent();
    await page.waitForSelector('.summary [data-status="running"]', WAIT);
    const seen = (await page.evaluate("window.seenStatuses")) as string[];
    expect(seen[0]).toBe("pending");
    expect(seen.at(-1)).toBe("running");
    // The live events the page received on the way (every one: the page reloads the server for them, so it may
    // skip drawing a status that lasted less than a reload, but the feed skips nothing).
    await page.waitForSelector('.events li[data-type="server.status_changed"]:has-text("pending → provisioning")', WAIT);
    await page.waitForSelector('.events li[data-type="server.status_changed"]:has-text("→ running")', WAIT);
    await page.waitForSelector('.events li[data-type="server.running"]', WAIT);
    // The agent's phases reached the page as they happened (the bar follows them).
    expect(await page.$$('.events li[data-type="server.progress"]')).not.toHaveLength(0);
    await page.waitForSelector('[data-field="address"]:text-matches(":[0-9]+$")', WAIT);
    await page.waitForSelector('[data-condition="running"].ok', WAIT);

    // The token is in no URL, no cookie and no localStorage; sessionStorage holds it for this tab only.
    expect(page.url()).not.toContain(ADMIN_TOKEN);
    expect(await page.context().cookies()).toEqual([]);
    expect(await page.evaluate("localStorage.length")).toBe(0);
    expect(await page.evaluate("Object.values(sessionStorage)")).toEqual([ADMIN_TOKEN]);
    expect((page as Page & { problems?: string[] }).problems).toEqual([]);
  });

  it("sends a console command and reads its answer in the live console log", async () => {
    const page = admin;
    await page.waitForSelector("input[name=command]:not([disabled])", WAIT);
    await page.fill("input[name=command]", "list");
    await page.press("input[name=command]", "Enter");
    await page.waitForSelector('.log .line-reply:has-text("There are 0 of a max of 20 players online")', WAIT);
    expect(await page.textContent(".log .line-command")).toBe("> list");
    // What the game writes arrives through the log stream (a `say` is logged as [Rcon] by the server itself).
    await page.fill("input[name=command]", "say hello from the browser");
    await page.press("input[name=command]", "Enter");
    await page.waitForSelector('.log .line-log:has-text("[Rcon] hello from the browser")', WAIT);
    // A line from the server is text, never markup: what a container prints cannot run in the page.
    await page.fill("input[name=command]", `say <b>bold</b><img src=x onerror="window.pwned=1">`);
    await page.press("input[name=command]", "Enter");
    await page.waitForSelector('.log .line-log:has-text("[Rcon] <b>bold</b><img")', WAIT);
    expect(await page.$$(".log b, .log img")).toHaveLength(0);
    expect(await page.evaluate("window.pwned")).toBeUndefined();
    await screenshot(page, "server-console");
  });

  it("takes a backup and restores it from the server page", async () => {
    const page = admin;
    await page.click("text=Take a backup");
    const completed = '.backups tr[data-backup]:has-text("completed")';
    await page.waitForSelector(completed, WAIT);
    await page.click(`${completed} button:has-text("Restore")`);
    await page.click(`${completed} button:has-text("Confirm restore")`);
    await page.waitForSelector("text=/Restore of .* queued/", WAIT);
    await page.waitForSelector('.events li[data-type="server.restored"]', WAIT);
    await page.waitForSelector('.summary [data-status="running"]', WAIT);
    const backups = (await c.call("GET", `/v1/servers/${serverId}/backups`)).body.items;
    expect(backups).toHaveLength(1);
    expect(backups[0].status).toBe("completed");
    await screenshot(page, "server-backups");
  });

  it("shows a change in the history once it is applied", async () => {
    const page = admin;
    // A reload signs in again from this tab's sessionStorage, on the same page.
    await page.reload();
    await page.waitForSelector(".changes >> text=No change since it was created.", WAIT);
    const res = await c.call("PATCH", `/v1/servers/${serverId}`, { memoryMiB: 1536 }, { "idempotency-key": "ui-change-1" });
    expect(res.status).toBe(202);
    await page.waitForSelector('.changes tr:has-text("applied"):has-text("memoryMiB: 1024 → 1536")', WAIT);
  });

  it("lists drift and acknowledges an item", async () => {
    const page = admin;
    // Recorded as a reconcile pass records a container the database does not know (drift_items), on a host
    // with no agent: passes resolve a host's items only when they judge that host, so none can clear it meanwhile.
    const quiet = await enroll(c.call, "quiet-host");
    const [item] = await c.sql<{ id: string }[]>`insert into drift_items (kind, host_id, vmid, detail) values ('unmanaged_container', ${quiet.id}, 4321, '{"name":"stray"}'::jsonb) returning id::text`;
    await page.click("header.top >> text=Drift");
    const row = `tr[data-drift="${item!.id}"]`;
    await page.waitForSelector(`${row}:has-text("unmanaged_container"):has-text("VMID 4321")`, WAIT);
    await page.click(`${row} button:has-text("Acknowledge")`);
    // Acknowledged items leave the default list; they show, with who and when, on request.
    await page.waitForSelector(row, { ...WAIT, state: "detached" });
    await page.check(".toggle input");
    await page.waitForSelector(`${row}:has-text("by ")`, WAIT);
    const [stored] = await c.sql<{ by: string }[]>`select acknowledged_by as by from drift_items where id = ${item!.id}`;
    expect(stored!.by).toMatch(/^[0-9a-f]{64}$/);
    await screenshot(page, "drift");
  });

  it("gives a read token every page and no action, and explains a 403 when one is forced", async () => {
    const page = (viewer = await signedIn(reader.token));
    expect(await page.textContent(".caller")).toBe("viewer (read)");
    await page.waitForSelector(`tr[data-server="${serverId}"] [data-status="running"]`, WAIT);
    await page.waitForSelector('tr[data-host="ui-host"] td.ok:has-text("connected")', WAIT);
    expect(await page.$$("text=Cordon")).toHaveLength(0);
    await screenshot(page, "fleet");
    // The server list is searchable (here by customer) and filtered by a status's count.
    await page.fill("input[name=search]", "no-such-server");
    await page.waitForSelector("text=No server matches.", WAIT);
    await page.fill("input[name=search]", "E2E");
    await page.waitForSelector(`tr[data-server="${serverId}"]`, WAIT);
    await page.click('.filters button:has-text("running 1")');
    expect(await page.$$("tr[data-server]")).toHaveLength(1);
    await page.click(`tr[data-server="${serverId}"] a`);
    await page.waitForSelector('.summary [data-status="running"]', WAIT);
    await page.waitForSelector(".backups tr[data-backup]", WAIT);
    expect(await page.$$(".actions button")).toHaveLength(0);
    expect(await page.$$("text=Take a backup")).toHaveLength(0);
    expect(await page.$$('button:has-text("Restore")')).toHaveLength(0);
    expect(await page.textContent(".console")).toContain("need a panel or admin token; this one has the read scope");
    expect(await page.isDisabled("input[name=command]")).toBe(true);

    // Forced past the disabled box (as from the developer tools): the API refuses and the page says why.
    await page.evaluate(`document.querySelectorAll(".command-box [disabled]").forEach((el) => el.removeAttribute("disabled"))`);
    await page.fill("input[name=command]", "stop");
    await page.press("input[name=command]", "Enter");
    await page.waitForSelector('.command-box .error[data-code="forbidden"]', WAIT);
    expect(await page.textContent(".command-box .error")).toMatch(/^Not allowed with this token: The client "viewer" has the read scope; POST .* needs panel\.$/);
    expect((await c.call("GET", `/v1/servers/${serverId}`)).body.status).toBe("running");
    await screenshot(page, "read-token");
  });

  it("signs the page out when its token is revoked, ending its live streams", async () => {
    const page = viewer;
    await page.click("text=Drift");
    await page.waitForSelector("text=No drift: the hosts match the database.", WAIT);
    expect((await c.call("DELETE", `/v1/api-tokens/${reader.id}`)).status).toBe(200);
    // Nothing is clicked: the open event stream's recheck ends it, and the page goes back to sign-in.
    await page.waitForSelector("input[name=token]", WAIT);
    // In the words of whichever answer saw it first: the stream's end (revoked) or a request's 401.
    expect(await page.textContent(".sign-in .notice")).toMatch(/^Signed out: (.*revoked.*|A valid bearer token is required\.)$/);
    expect(await page.evaluate("sessionStorage.length")).toBe(0);
    await screenshot(page, "signed-out");
  });
});
