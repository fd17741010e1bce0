import { serverStatus, type Api } from "../../support/api";
import { waitFor } from "../../support/processes";

/**
 * Waits for a server being provisioned on a real container to be `running`, within 150 s (inside each
 * test's own timeout, so a failure says what it waited for); a server that fails instead fails the
 * wait at once, with its last events and, given `logs`, the processes' last log lines.
 */
export async function waitProvisioned(call: Api, serverId: string, logs?: () => string): Promise<void> {
  await waitFor(async () => {
    const s = await serverStatus(call, serverId);
    if (s === "failed") throw new Error(`provision failed: ${JSON.stringify((await call("GET", `/v1/servers/${serverId}/events`)).body.items.slice(-3))}${logs ? `\n${logs()}` : ""}`);
    return s === "running";
  }, 150_000, "running");
}
