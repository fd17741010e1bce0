import type { Command } from "commander";
import { CliError, EXIT } from "../exitCodes";
import { ago, seg, show, table, type Ctx } from "../output";
import type { Run } from "./shared";

interface ApiToken {
  id: string;
  client: string;
  scope: string;
  createdAt: string;
  revokedAt: string | null;
}

const tokenTable = (ctx: Ctx, items: ApiToken[]) =>
  table(
    ctx,
    ["ID", "CLIENT", "SCOPE", "CREATED", "REVOKED"],
    items.map((t) => [t.id, t.client, t.scope, ago(t.createdAt), t.revokedAt ? ago(t.revokedAt) : null]),
  );

export function tokenCommands(program: Command, run: Run): void {
  const tokens = program.command("tokens").alias("token").description("API tokens kept in the database (admin)");

  tokens
    .command("list")
    .description("the tokens (never the tokens themselves)")
    .action(
      run(async (ctx) => {
        const body = (await ctx.client.call<{ items: ApiToken[] }>("GET", "/v1/api-tokens")).body;
        show(ctx, body, () => tokenTable(ctx, body.items));
      }),
    );

  tokens
    .command("create <client>")
    .description("a token for a client; printed once (only its hash is stored)")
    .requiredOption("--scope <scope>", "read, panel or admin")
    .action(
      run(async (ctx, o: { scope: string }, client: string) => {
        if (!["read", "panel", "admin"].includes(o.scope)) throw new CliError(`--scope must be read, panel or admin, not "${o.scope}"`, EXIT.usage);
        const body = (await ctx.client.call<ApiToken & { token: string }>("POST", "/v1/api-tokens", { client, scope: o.scope })).body;
        show(ctx, body, () => {
          tokenTable(ctx, [body]);
          ctx.out(`token (shown once): ${body.token}`);
        });
      }),
    );

  tokens
    .command("revoke <id>")
    .description("revoke a token: refused from the next request on, its streams end")
    .action(
      run(async (ctx, _o, id: string) => {
        const body = (await ctx.client.call<ApiToken>("DELETE", `/v1/api-tokens/${seg(id)}`)).body;
        show(ctx, body, () => tokenTable(ctx, [body]));
      }),
    );
}
