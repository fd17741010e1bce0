/** `zlh`: the command line (docs/cli.md). SIGINT/SIGTERM end a follow (exit 0) or a wait (exit 130); a second one ends at once. */
import { EXIT } from "./exitCodes";
import { runCli } from "./program";

const controller = new AbortController();
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    controller.abort();
  });
}

const code = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
  signal: controller.signal,
});
process.exitCode = code;
// Signal listeners keep nothing alive, but a follow's timers might: the command is over.
process.removeAllListeners("SIGINT");
process.removeAllListeners("SIGTERM");
