/**
 * Run by runInstallerNonRoot.test.ts as a non-root uid (setpriv): one
 * sandboxed run with the given stand-in java, as a control plane running
 * as `User=zerolaghub` would. Prints one JSON line: the run's log, its
 * error, what reading the produced tree gave, and whether dispose threw.
 */
import { readProducedTree } from "../../src/neoforge/producedTree";
import { runInstaller } from "../../src/neoforge/runInstaller";

const { java, spaceBytes } = JSON.parse(process.argv[2]!) as { java: string; spaceBytes?: number };
const errorOf = (e: unknown) => ({ name: (e as Error).name, message: (e as Error).message, log: (e as { log?: string }).log ?? "" });
const result: Record<string, unknown> = { uid: process.getuid?.() };
try {
  const run = await runInstaller({ installer: new Uint8Array([1]), installerName: "x.jar", preplaced: [{ path: "libraries/pre.jar", bytes: new Uint8Array([2]) }], java, ...(spaceBytes ? { spaceBytes } : {}) });
  result.log = run.log;
  try {
    result.tree = (await readProducedTree(run.serverDir)).map((f) => f.path);
  } catch (e) {
    result.treeError = errorOf(e);
  }
  try {
    await run.dispose();
    result.disposed = true;
  } catch (e) {
    result.disposeError = errorOf(e);
  }
} catch (e) {
  result.error = errorOf(e);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
