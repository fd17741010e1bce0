import { readFile, appendFile } from "node:fs/promises";
import { ID_BASE, ID_COUNT } from "../../apps/agent/src/runtime/lxc/hostLayout";
import type { Report } from "./report";

/** `root:100000:65536` in /etc/subuid and /etc/subgid: the ids root may map into its unprivileged containers. */
export async function prepareIdMaps(report: Report, install: boolean): Promise<void> {
  const line = `root:${ID_BASE}:${ID_COUNT}`;
  for (const file of ["/etc/subuid", "/etc/subgid"]) {
    let text = "";
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    if (covers(text)) {
      report.ok(`${file} gives root ${ID_COUNT} ids from ${ID_BASE}`);
    } else if (install) {
      await appendFile(file, `${text === "" || text.endsWith("\n") ? "" : "\n"}${line}\n`);
      report.did(`added ${line} to ${file}`);
    } else {
      report.lack(`${file} has no ${line} line (run with --install as root)`);
    }
  }
}

/** Whether some `root:<start>:<count>` range covers 100000..165535. */
function covers(text: string): boolean {
  return text.split("\n").some((l) => {
    const [user, start, count] = l.trim().split(":");
    return (user === "root" || user === "0") && Number(start) <= ID_BASE && Number(start) + Number(count) >= ID_BASE + ID_COUNT;
  });
}
