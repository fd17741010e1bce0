import type { Command } from "commander";
import { keyValues, seg, show } from "../output";
import type { Run } from "./shared";

/** `zlh operations get <id>`: the operation a restore (or a lifecycle answer) named, every field one a line. */
export function operationCommands(program: Command, run: Run): void {
  const operations = program.command("operations").alias("operation").description("follow an operation by its id");
  operations
    .command("get <id>")
    .alias("describe")
    .description("one operation: kind, status, attempt, server, times, result or failure reason")
    .action(
      run(async (ctx, _o, id: string) => {
        const body = (await ctx.client.call<Record<string, unknown>>("GET", `/v1/operations/${seg(id)}`)).body;
        show(ctx, body, () => keyValues(ctx, body));
      }),
    );
}
