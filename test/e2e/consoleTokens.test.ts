import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { waitStatus } from "../support/lifecycle";

/** A browser's console: a console token, traded for a cookie, follows a real server's log and sends a command, until revoked. */
describe("console tokens on a real agent", () => {
  let c: E2eCluster;
  let server: { id: string };
  beforeAll(async () => {
    c = await startE2eCluster("console-token-host", { ZLH_STREAM_TOKEN_RECHECK_MS: "200", ZLH_CONSOLE_ORIGINS: "https://panel.example.test" });
    c.startAgent();
    server = await createServer(c.call);
    await waitStatus(c.call, server.id, "running", 30_000);
  });
  afterAll(() => c?.close());

  it("follows the log and sends a command with the cookie, then its stream ends when the token is revoked", async () => {
    const minted = await c.call("POST", `/v1/servers/${server.id}/console-tokens`);
    expect(minted.status).toBe(201);
    const session = await fetch(`${c.cp.url}/v1/console/session`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://panel.example.test" },
      body: JSON.stringify({ token: minted.body.token }),
    });
    expect(session.status).toBe(200);
    const cookie = session.headers.get("set-cookie")!.split(";")[0]!;
    const headers = { cookie, origin: "https://panel.example.test" };

    const stream = await fetch(`${c.cp.url}/v1/servers/${server.id}/logs/stream?tail=0`, { headers });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("access-control-allow-origin")).toBe("https://panel.example.test");
    const reader = stream.body!.getReader();
    let text = "";
    const readUntil = async (pred: (t: string) => boolean) => {
      while (!pred(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    };
    const said = await fetch(`${c.cp.url}/v1/servers/${server.id}/commands`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ command: "say from the browser" }),
    });
    expect(said.status).toBe(200);
    await readUntil((t) => t.includes("[Rcon] from the browser"));
    expect(text).toContain("[Rcon] from the browser");
    const audited = ((await c.call("GET", `/v1/servers/${server.id}/events`)).body.items as { type: string; data: { command?: string } }[]).filter((e) => e.type === "server.command");
    expect(audited.map((e) => e.data.command)).toContain("say from the browser");

    expect((await c.call("DELETE", `/v1/servers/${server.id}/console-tokens/${minted.body.id}`)).status).toBe(200);
    await readUntil((t) => t.includes("event: end"));
    expect(text).toMatch(/event: end\ndata: \{"reason":"token_revoked"/);
    const after = await fetch(`${c.cp.url}/v1/servers/${server.id}/commands`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ command: "list" }),
    });
    expect(after.status).toBe(401);
  });
});
