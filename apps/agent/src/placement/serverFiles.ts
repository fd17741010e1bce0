import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { OperationSpec } from "@zlh/protocol";
import { writeFileAtomic } from "./atomicWrite";

/** Where the Minecraft server lives inside the container. */
export const SERVER_DIR = "srv/minecraft";

/** server.properties: the platform's keys win over the customer's allow-listed ones. */
export function renderServerProperties(spec: OperationSpec): string {
  const managed: Record<string, string | number | boolean> = {
    "server-port": spec.gamePort,
    "enable-rcon": false,
    "rcon.port": spec.rconPort,
    "enable-query": false,
  };
  const merged: Record<string, string | number | boolean> = { "max-players": 20, motd: "A ZeroLagHub server", ...spec.serverProperties, ...managed };
  const lines = Object.keys(merged)
    .sort()
    .map((k) => `${k}=${String(merged[k])}`);
  return `# Written by ZeroLagHub; managed keys are overwritten on every provision.\n${lines.join("\n")}\n`;
}

/**
 * Places the files a first boot needs, idempotently: a file already holding
 * the right content is not rewritten.
 */
export async function placeServerFiles(rootfs: string, spec: OperationSpec): Promise<void> {
  const dir = join(rootfs, SERVER_DIR);
  await mkdir(join(dir, ".zlh"), { recursive: true });
  const files: [string, string][] = [
    ["eula.txt", "eula=true\n"],
    ["server.properties", renderServerProperties(spec)],
    [".zlh/manifest.json", `${JSON.stringify({ game: spec.minecraftVersion, loader: spec.loaderVersion }, null, 2)}\n`],
  ];
  for (const [name, content] of files) {
    const path = join(dir, name);
    const current = await readFile(path, "utf8").catch(() => null);
    if (current !== content) await writeFileAtomic(path, content);
  }
}
