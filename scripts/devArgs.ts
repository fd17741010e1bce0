/** The runtimes `pnpm dev` can serve its hosts with. */
export type DevRuntime = "sim" | "lxc";

const USAGE = "usage: pnpm dev [--runtime sim|lxc]";

/** `pnpm dev`'s arguments: `--runtime sim|lxc` (or `--runtime=...`); sim by default. */
export function parseDevArgs(args: readonly string[]): { runtime: DevRuntime } | { error: string } {
  let runtime: string = "sim";
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--runtime") {
      const next = args[++i];
      if (next === undefined) return { error: `pnpm dev: --runtime needs a value (sim or lxc); ${USAGE}` };
      runtime = next;
    } else if (arg.startsWith("--runtime=")) runtime = arg.slice("--runtime=".length);
    else return { error: `pnpm dev: unknown argument ${JSON.stringify(arg)}; ${USAGE}` };
  }
  if (runtime !== "sim" && runtime !== "lxc") return { error: `pnpm dev: unknown runtime ${JSON.stringify(runtime)} (sim or lxc); ${USAGE}` };
  return { runtime };
}
