import { access } from "node:fs/promises";
import { join } from "node:path";
import { pingServer } from "@zlh/agent";
import { serverStatus, type Api } from "./api";
import { waitFor } from "./processes";

export const waitStatus = (call: Api, id: string, status: string, timeoutMs = 20_000) =>
  waitFor(async () => (await serverStatus(call, id)) === status, timeoutMs, `${id} ${status}`);

export const containerExists = (simRoot: string, vmid: number) =>
  access(join(simRoot, String(vmid), "config.json")).then(
    () => true,
    () => false,
  );

export const answersPing = (port: number) =>
  pingServer("127.0.0.1", port, 1000).then(
    () => true,
    () => false,
  );
