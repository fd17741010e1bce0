import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "@zlh/testing";
import type { OperationSpec } from "@zlh/protocol";
import { provision } from "../src/ops/provision";
import { simHost } from "./support/opHarness";

/**
 * Readiness proves identity: a server is running when its own address
 * answers the status ping AND an RCON login with its own password. Here a
 * foreign server (another sim host's container with the same VMID, so the
 * same simulated address) already holds the address and game port: the
 * server being provisioned cannot bind, and the foreign one answers every
 * ping with the right version. Without the identity check that provision
 * "succeeded" on someone else's process.
 */
const VMID = 9120;
const hosts: Awaited<ReturnType<typeof simHost>>[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) {
    await h.runtime.stop(VMID, 2000).catch(() => {});
  }
});

async function host() {
  const h = await simHost();
  hosts.push(h);
  await h.create(VMID);
  return h;
}

describe("readiness proves identity", () => {
  for (const [what, foreignPassword] of [["a different RCON password", "someone-elses"], ["no RCON at all", null]] as const) {
    it(`a foreign server answering the ping on the server's address with ${what} never makes the provision succeed`, async () => {
      const ports: Partial<OperationSpec> = { gamePort: await freePort(), rconPort: await freePort() };
      const foreign = await host();
      // The foreign server is started the way any server is (with no password its own provision cannot prove it, but it runs).
      await provision(foreign.ctx("provision", VMID, { ...ports, rconPassword: foreignPassword })).catch((err) => {
        if (foreignPassword !== null) throw err;
      });
      expect((await foreign.runtime.inspect(VMID))?.state).toBe("running");

      const ours = await host();
      const ctx = ours.ctx("provision", VMID, { ...ports, rconPassword: "this-servers-own" });
      ctx.readyTimeoutMs = 1500;
      // Ours cannot bind (the foreign one holds the address), so its game ends: said at once, with what answered instead.
      await expect(provision(ctx)).rejects.toMatchObject({
        code: "game_exited",
        message: expect.stringMatching(/answered the status ping, but the identity check failed: no RCON login with this server's password/),
      });
    });
  }

  it("a server with no RCON password cannot be proven running: refused, not waited for", async () => {
    const h = await host();
    const ctx = h.ctx("provision", VMID, { gamePort: await freePort(), rconPort: await freePort(), rconPassword: null });
    await expect(provision(ctx)).rejects.toMatchObject({ code: "identity_unproven", retryable: false, message: expect.stringContaining("no RCON password") });
  });

  it("its own server, answering both, is running", async () => {
    const h = await host();
    const out = await provision(h.ctx("provision", VMID, { gamePort: await freePort(), rconPort: await freePort(), rconPassword: "pw" }));
    expect(out).toMatchObject({ version: "1.21.1" });
  });
});
