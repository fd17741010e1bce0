import { createServer, type AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { backup } from "../src/ops/backup";
import type { Runtime } from "../src/runtime/runtime";
import { opContext } from "./support/opHarness";
import { mirrorSource, OFFLINE_MIRROR_DIR } from "@zlh/artifacts";
import { fixtureManifest } from "@zlh/testing";
import { ArtifactCache } from "../src/placement/cache";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** An RCON server that logs in anyone, records each command, and drops the connection on `failOn`. */
async function fakeRcon(failOn: string) {
  const commands: string[] = [];
  const server = createServer((socket) => {
    let buf = Buffer.alloc(0);
    socket.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32LE(0)) {
        const len = buf.readInt32LE(0);
        const id = buf.readInt32LE(4);
        const type = buf.readInt32LE(8);
        const body = buf.subarray(12, 4 + len - 2).toString("utf8");
        buf = buf.subarray(4 + len);
        const reply = (t: number, text: string) => {
          const b = Buffer.from(text);
          const head = Buffer.alloc(12);
          head.writeInt32LE(10 + b.length, 0);
          head.writeInt32LE(id, 4);
          head.writeInt32LE(t, 8);
          socket.write(Buffer.concat([head, b, Buffer.from([0, 0])]));
        };
        if (type === 3) reply(2, "");
        else {
          commands.push(body);
          if (body === failOn) socket.destroy();
          else reply(0, "ok");
        }
      }
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { commands, port: (server.address() as AddressInfo).port, close: () => server.close() };
}

describe("a live backup", () => {
  it("turns autosave back on even when the flush fails", async () => {
    const rcon = await fakeRcon("save-all flush");
    try {
      const runtime = { name: "sim", inspect: async (vmid: number) => ({ vmid, state: "running", description: "" }), address: async () => "127.0.0.1" } as unknown as Runtime;
      const state = await mkdtemp(join(tmpdir(), "zlh-saveon-"));
      const ctx = opContext("backup", 9201, await fixtureManifest(), new ArtifactCache(state, mirrorSource(OFFLINE_MIRROR_DIR, "offline")), join(state, "backups"), runtime, {
        rconPassword: "pw", rconPort: rcon.port, backup: { backupId: randomUUID(), start: false },
      });
      await expect(backup(ctx)).rejects.toBeTruthy();
      expect(rcon.commands).toEqual(["save-off", "save-all flush", "save-on"]);
    } finally {
      rcon.close();
    }
  });
});
