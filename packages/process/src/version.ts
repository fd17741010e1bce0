/**
 * The release version of the control plane and the agent (one version for
 * both: they are released together, and an agent says its version in hello).
 * Kept equal to the root package.json's `version` (a test checks it); the
 * built bundles carry it, `--version` prints it, /healthz shows it.
 */
export const ZLH_VERSION = "0.12.0";

/** `--version` (or `-v`) on the command line: print the version and exit. */
export function printVersionAndExitIfAsked(name: string, argv: readonly string[] = process.argv): void {
  if (argv.includes("--version") || argv.includes("-v")) {
    console.log(`${name} ${ZLH_VERSION}`);
    process.exit(0);
  }
}
