import { access } from "node:fs/promises";
import { join } from "node:path";
import { pingServer, simAddress } from "@zlh/agent";
import { serverStatus, type Api } from "./api";
import { waitFor } from "./processes";

export const waitStatus = (call: Api, id: string, status: string, timeoutMs = 20_000) =>
  waitFor(async () => (await serverStatus(call, id)) === status, timeoutMs, `${id} ${status}`);

export const containerExists = (simRoot: string, vmid: number) =>
  access(join(simRoot, String(vmid), "config.json")).then(
    () => true,
    () => false,
  );

/** Whether the server answers a status ping on its container's own address (the sim gives each VMID one). */
export const answersPing = (server: { vmid: number; ports: { game: number } }) =>
  pingServer(simAddress(server.vmid), server.ports.game, 1000).then(
    () => true,
    () => false,
  );

/** Once the server's change `generation` has ended and the server runs again: the server, with how the change ended (from its history). */
export const changeEnded = async (call: Api, id: string, generation: number) =>
  waitFor(async () => {
    const s = (await call("GET", `/v1/servers/${id}`)).body;
    if (s.change !== null || s.status !== "running") return null;
    // An ended change leaves the server: how it ended is in the history, newest first.
    const ended = ((await call("GET", `/v1/servers/${id}/changes`)).body.items as { generation: number; status: string }[]).find((h) => h.generation === generation);
    return ended && ["applied", "rolled_back", "failed"].includes(ended.status) ? { ...s, ended } : null;
  }, 40_000, `change ${generation} ended`);
