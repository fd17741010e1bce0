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
