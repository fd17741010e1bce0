import type { OperationSpec } from "@zlh/protocol";

/**
 * server.properties: the customer's allow-listed keys, then the keys the
 * platform owns (port, RCON, query), which always win.
 */
export function renderServerProperties(spec: OperationSpec): string {
  const managed: Record<string, string | number | boolean> = {
    "server-port": spec.gamePort,
    "enable-rcon": spec.rconPassword !== null,
    "rcon.port": spec.rconPort,
    "rcon.password": spec.rconPassword ?? "",
    "enable-query": false,
  };
  const merged: Record<string, string | number | boolean> = { "max-players": 20, motd: "A ZeroLagHub server", ...spec.serverProperties, ...managed };
  const lines = Object.keys(merged)
    .sort()
    .map((k) => `${k}=${String(merged[k])}`);
  return `# Written by ZeroLagHub; the managed keys are rewritten on every provision.\n${lines.join("\n")}\n`;
}
