import { chmod, mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { LXC_PATH } from "../../apps/agent/src/runtime/lxc/hostLayout";
import type { Report } from "./report";

/** The LXC path, traversable by an unprivileged container's root (0711 on it and its parent). */
export async function prepareLxcPath(report: Report, install: boolean): Promise<void> {
  const found = await stat(LXC_PATH).catch(() => null);
  if (found && (found.mode & 0o711) === 0o711) return report.ok(`LXC path ${LXC_PATH} exists and is traversable (0711)`);
  if (!install) return report.lack(`LXC path ${LXC_PATH} ${found ? "is not traversable (needs 0711)" : "does not exist"} (run with --install)`);
  await mkdir(LXC_PATH, { recursive: true });
  await chmod(dirname(LXC_PATH), 0o711);
  await chmod(LXC_PATH, 0o711);
  report.did(`made LXC path ${LXC_PATH} (0711: an unprivileged container's root must traverse it)`);
}
