import { Command, CommanderError } from "commander";
import { ZLH_VERSION } from "@zlh/process";
import { backupCommands } from "./commands/backups";
import { consoleCommands } from "./commands/console";
import { eventCommands } from "./commands/events";
import { hostCommands } from "./commands/hosts";
import { operationCommands } from "./commands/operations";
import { serverCommands } from "./commands/servers";
import { tokenCommands } from "./commands/tokens";
import type { Run } from "./commands/shared";
import { resolveConfig, type ConfigFlags, type Resolved } from "./config";
import { CliError, EXIT } from "./exitCodes";
import { ApiError, Client } from "./http";
import { show, type Ctx } from "./output";

export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
  signal: AbortSignal;
}

type GlobalFlags = ConfigFlags & { json?: boolean; idempotencyKey?: string };

/** Runs one command line; resolves with its exit code (docs/cli.md). Nothing here exits the process. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command("zlh")
    .description("ZeroLagHub's command line: servers, consoles, backups, events and the fleet, over the control plane's API")
    .version(`zlh ${ZLH_VERSION}`, "-V, --version")
    .option("--url <url>", "the control plane (else ZLH_URL, else the profile's url)")
    .option("--token-file <file>", "read the API token from this file (else ZLH_TOKEN, ZLH_TOKEN_FILE, the profile's token or tokenFile)")
    .option("--ca <file>", "trust this CA (PEM) for the control plane's TLS (else ZLH_CA, the profile's ca)")
    .option("--profile <name>", "a profile of the configuration file (else ZLH_PROFILE, its defaultProfile)")
    .option("--config <file>", "the configuration file (else ZLH_CONFIG, $XDG_CONFIG_HOME/zlh/config.json, ~/.config/zlh/config.json)")
    .option("--json", "print the API's JSON instead of tables (streams: one JSON object a line)")
    .option("--idempotency-key <key>", "the Idempotency-Key of this command's write (default: a new one; retries reuse it)")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, "")), writeErr: (s) => io.err(s.replace(/\n$/, "")) });

  const config = (cmd: Command): Resolved => resolveConfig(cmd.optsWithGlobals<GlobalFlags>(), io.env, io.err);
  const run: Run =
    (fn) =>
    async (...received) => {
      const cmd = received.at(-1) as Command;
      const flags = cmd.optsWithGlobals<GlobalFlags>();
      const json = flags.json === true;
      try {
        const c = config(cmd);
        const client = new Client({ url: c.url, token: c.token, ca: c.ca, idempotencyKey: flags.idempotencyKey });
        const ctx: Ctx = { client, json, out: io.out, err: io.err, signal: io.signal };
        await fn(ctx, received.at(-2) as never, ...(received.slice(0, -2) as never[]));
      } catch (err) {
        if (err instanceof ApiError && json) io.out(JSON.stringify(err.body, null, 2));
        if (err instanceof CliError) {
          io.err(`zlh: ${err.message}`);
          code = err.exitCode;
        } else {
          io.err(`zlh: unexpected: ${(err as Error).stack ?? String(err)}`);
          code = EXIT.apiError;
        }
      }
    };

  serverCommands(program, run);
  consoleCommands(program, run);
  backupCommands(program, run);
  operationCommands(program, run);
  eventCommands(program, run);
  hostCommands(program, run);
  tokenCommands(program, run);
  program
    .command("config")
    .description("where the URL, token and CA come from (the token itself is never shown)")
    .action(
      run(async (ctx) => {
        const c = config(program);
        const view = { url: c.url, urlFrom: c.sources.url, token: c.token ? "set" : "none", tokenFrom: c.sources.token, ca: c.sources.ca, profile: c.profile, configFile: c.configFile };
        show(ctx, view, () => {
          ctx.out(`url:     ${c.url}  (${c.sources.url})`);
          ctx.out(`token:   ${c.token ? `set (${c.sources.token})` : "none"}`);
          ctx.out(`ca:      ${c.sources.ca ?? "the system's (and NODE_EXTRA_CA_CERTS)"}`);
          ctx.out(`profile: ${c.profile ?? "none"}  (${c.configFile})`);
        });
      }),
    );

  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    const shown = ["commander.helpDisplayed", "commander.version", "commander.help"].includes(err.code);
    return shown ? EXIT.ok : EXIT.usage;
  }
  return code;
}
