import { lchown, mkdir, writeFile } from "node:fs/promises";
import { dirname, relative, sep } from "node:path";

/**
 * Writes a file into a server directory as its customer would: as the
 * container's root. A simulated container of an agent running as root is
 * unprivileged (its root is 100000:100000), so what a test writes there as
 * host root is handed over, the file and the directories it created; the
 * agent itself never writes as host root inside a container.
 */
export async function writeAsCustomer(serverDir: string, path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  if (process.getuid?.() !== 0) return;
  const parts = relative(serverDir, path).split(sep);
  for (let i = 1; i <= parts.length; i++) await lchown([serverDir, ...parts.slice(0, i)].join(sep), 100_000, 100_000);
}
