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
    .map((k) => `${escapeProperty(k, true)}=${escapeProperty(String(merged[k]), false)}`);
  return `# Written by ZeroLagHub; the managed keys are rewritten on every provision.\n${lines.join("\n")}\n`;
}

/**
 * Escapes a key or value as java.util.Properties#store does, because the
 * server reads the file with Properties#load: unescaped, a value ending in
 * `\` continues onto the next line (a motd swallowing `rcon.password=...`
 * published the password in the server list and disabled RCON), and a `\n`
 * would start a line of its own. Characters outside printable ASCII become
 * `\uXXXX`, which loads the same whether the server reads the file as
 * ISO-8859-1 (Properties#load(InputStream)) or UTF-8.
 */
export function escapeProperty(text: string, isKey: boolean): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const code = text.charCodeAt(i);
    if (ch === " ") out += i === 0 || isKey ? "\\ " : " ";
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\f") out += "\\f";
    else if (ch === "=" || ch === ":" || ch === "#" || ch === "!") out += `\\${ch}`;
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
    else out += ch;
  }
  return out;
}
