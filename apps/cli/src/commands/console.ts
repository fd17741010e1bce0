import type { Command } from "commander";
import { follow } from "../follow";
import { printable, seg, show } from "../output";
import { intArg, type Run } from "./shared";

export function consoleCommands(program: Command, run: Run): void {
  program
    .command("logs <server>")
    .description("the console log's last lines; with -f, followed live")
    .option("-f, --follow", "keep printing new lines until interrupted")
    .option("--tail <n>", "how many of the last lines first (at most 1000)", intArg, 100)
    .option("--limit <n>", "with -f: stop after n lines", intArg)
    .action(
      run(async (ctx, o: { follow?: boolean; tail: number; limit?: number }, id: string) => {
        if (!o.follow) {
          const body = (await ctx.client.call<{ lines: string[] }>("GET", `/v1/servers/${seg(id)}/logs?tail=${o.tail}`)).body;
          show(ctx, body, () => {
            for (const l of body.lines) ctx.out(printable(l));
          });
          return;
        }
        let n = 0;
        await follow(
          ctx,
          (resume) => `/v1/servers/${seg(id)}/logs/stream${resume ? "" : `?tail=${o.tail}`}`,
          (m) => {
            ctx.out(ctx.json ? JSON.stringify({ offset: m.id, line: m.data }) : printable(m.data));
            return o.limit !== undefined && ++n >= o.limit;
          },
        );
      }),
    );

  program
    .command("command <server> <command...>")
    .description("run one console command over RCON and print the server's reply")
    .action(
      run(async (ctx, _o, id: string, words: string[]) => {
        const body = (await ctx.client.call<{ reply: string }>("POST", `/v1/servers/${seg(id)}/commands`, { command: words.join(" ") })).body;
        show(ctx, body, () => {
          if (body.reply !== "") ctx.out(printable(body.reply));
        });
      }),
    );
}
