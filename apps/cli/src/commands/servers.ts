import type { Command } from "commander";
import { CliError, EXIT } from "../exitCodes";
import { ago, keyValues, mib, seg, show, table, type Ctx } from "../output";
import { serverEventsAfter, waitForServer, type Goal } from "../progress";
import { intArg, pageFlags, readPages, repeat, type Page, type Run } from "./shared";

type Change = { generation: number; status: string; reason: string | null; changes: Record<string, unknown>; requestedAt: string; endedAt: string | null };

interface Server {
  id: string;
  name: string;
  customerId: string;
  status: string;
  generation: number;
  vmid: number | null;
  hostId: string;
  ports: { game: number; rcon: number } | null;
  address: string | null;
  type?: string;
  minecraftVersion: string;
  loaderVersion: string | null;
  memoryMiB: number;
  cpuCores: number;
  diskGiB: number;
  stale: boolean;
  createdAt: string;
  lastError?: { at: string } | null;
}

/** --loader or --build: the API's one field for both (a Fabric loader version, or a Paper/Purpur build number). */
function loaderOf(o: { loader?: string; build?: string }): string | undefined {
  if (o.loader && o.build) throw new CliError("give --loader (Fabric) or --build (Paper, Purpur), not both", EXIT.usage);
  return o.loader ?? o.build;
}

function serverTable(ctx: Ctx, items: Server[]): void {
  table(
    ctx,
    ["ID", "NAME", "CUSTOMER", "STATUS", "TYPE", "VERSION", "RESOURCES", "VMID", "PORT", "AGE"],
    items.map((s) => [
      s.id,
      s.name,
      s.customerId,
      s.stale ? `${s.status} (stale)` : s.status,
      // Paper and vanilla of one game looked the same without it. A control plane from before types is Fabric's.
      s.type ?? "fabric",
      // The loader version is Fabric's loader, or Paper's and Purpur's build.
      s.loaderVersion ? `${s.minecraftVersion} ${s.loaderVersion}` : s.minecraftVersion,
      `${mib(s.memoryMiB)} ${s.cpuCores}cpu ${s.diskGiB}G`,
      s.vmid,
      s.ports?.game,
      ago(s.createdAt),
    ]),
  );
}

/** `--mod lithium --mod sodium@mc1.21.1-0.6.0`: a project, optionally @version. */
function parseMods(values: string[]): { project: string; version?: string }[] {
  return values.map((v) => {
    const at = v.indexOf("@");
    return at < 0 ? { project: v } : { project: v.slice(0, at), version: v.slice(at + 1) };
  });
}

/** `--property motd=Hello --property max-players=10`: numbers and booleans as such, like server.properties. */
function parseProperties(values: string[]): Record<string, string | number | boolean> | undefined {
  if (values.length === 0) return undefined;
  const out: Record<string, string | number | boolean> = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    if (eq <= 0) throw new CliError(`--property wants key=value, got "${v}"`, EXIT.usage);
    const raw = v.slice(eq + 1);
    out[v.slice(0, eq)] = raw === "true" ? true : raw === "false" ? false : /^-?\d+$/.test(raw) ? Number(raw) : raw;
  }
  return out;
}

interface WaitOpts {
  wait: boolean;
  timeout: number;
  /** Waiting was asked for with --wait (start, stop, restart, delete): there is no --no-wait to point at. */
  optIn?: boolean;
}

/** The answer (202, the server) and then, unless --no-wait, the progress until the goal. */
async function answerAndWait(ctx: Ctx, accepted: Server, goal: Goal | null, opts: WaitOpts, cursor: string | null): Promise<void> {
  let final: Server = accepted;
  if (goal && opts.wait) {
    const hint = opts.optIn ? "Ctrl-C stops watching, not the request" : "--no-wait returns at once";
    if (!ctx.json) ctx.err(`server ${accepted.id} accepted (${accepted.status}); following it (${hint})`);
    final = (await waitForServer(ctx, accepted.id, goal, { timeoutMs: opts.timeout * 1000, cursor, knownErrorAt: accepted.lastError?.at ?? null })) as unknown as Server;
  }
  show(ctx, final, () => serverTable(ctx, [final]));
}

const waitFlags = (cmd: Command, defaultWait: boolean) =>
  (defaultWait ? cmd.option("--no-wait", "return once the request is accepted") : cmd.option("--wait", "follow the server until it gets there"))
    .option("--timeout <seconds>", "give up waiting after this long (exit 7)", intArg, 600);

export function serverCommands(program: Command, run: Run): void {
  const servers = program.command("servers").alias("server").description("list, inspect, create, change and power servers");

  pageFlags(
    servers
      .command("list")
      .description("servers in creation order")
      .option("--customer <id>", "only this customer's")
      .option("--name <name>", "only servers of exactly this name")
      .option("--status <status>", "only servers in this status"),
  ).action(
    run(async (ctx, o: { customer?: string; name?: string; status?: string; limit?: number; cursor?: string; all?: boolean }) => {
      const body = await readPages(async (q) => {
        if (o.customer) q.set("customerId", o.customer);
        if (o.name !== undefined) q.set("name", o.name);
        if (o.status) q.set("status", o.status);
        return (await ctx.client.call<Page<Server>>("GET", `/v1/servers?${q}`)).body;
      }, o);
      show(ctx, body, () => serverTable(ctx, body.items));
    }),
  );

  pageFlags(servers.command("changes <id>").description("the server's changes, newest first: what each changed and how it ended")).action(
    run(async (ctx, o: { limit?: number; cursor?: string; all?: boolean }, id: string) => {
      const body = await readPages(async (q) => (await ctx.client.call<Page<Change>>("GET", `/v1/servers/${seg(id)}/changes?${q}`)).body, o);
      show(ctx, body, () =>
        table(
          ctx,
          ["GENERATION", "STATUS", "CHANGED", "REQUESTED", "ENDED", "REASON"],
          body.items.map((c) => [String(c.generation), c.status, Object.keys(c.changes).join(","), ago(c.requestedAt), c.endedAt ? ago(c.endedAt) : null, c.reason]),
        ),
      );
    }),
  );

  servers
    .command("get <id>")
    .alias("describe")
    .description("one server, every field")
    .action(
      run(async (ctx, _o, id: string) => {
        const body = (await ctx.client.call("GET", `/v1/servers/${seg(id)}`)).body;
        show(ctx, body, () => keyValues(ctx, body));
      }),
    );

  waitFlags(
    servers
      .command("create")
      .description("create a server and follow it to running")
      .requiredOption("--name <name>", "the server's name")
      .requiredOption("--customer <id>", "the panel's customer id")
      .requiredOption("--minecraft <version>", "Minecraft version, e.g. 1.21.1")
      .option("--type <type>", "what it runs: fabric (default), quilt, vanilla, paper, purpur or neoforge")
      .option("--loader <version>", "Fabric, Quilt or NeoForge loader version (default: the newest stable for the game version)")
      .option("--build <number>", "Paper or Purpur build to pin (default: the newest stable build); sent as loaderVersion")
      .option("--mod <project[@version]>", "a Modrinth project (repeatable)", repeat, [])
      .option("--memory <MiB>", "memory in MiB", intArg, 2048)
      .option("--cpu <cores>", "CPU cores", intArg, 1)
      .option("--disk <GiB>", "disk in GiB", intArg, 10)
      .option("--property <key=value>", "a server.properties entry (repeatable)", repeat, []),
    true,
  ).action(
    run(async (ctx, o: { name: string; customer: string; minecraft: string; type?: string; loader?: string; build?: string; mod: string[]; memory: number; cpu: number; disk: number; property: string[] } & WaitOpts) => {
      const loader = loaderOf(o);
      const body = {
        customerId: o.customer,
        name: o.name,
        ...(o.type ? { type: o.type } : {}),
        minecraftVersion: o.minecraft,
        ...(loader ? { loaderVersion: loader } : {}),
        ...(o.mod.length ? { mods: parseMods(o.mod) } : {}),
        memoryMiB: o.memory,
        cpuCores: o.cpu,
        diskGiB: o.disk,
        ...(o.property.length ? { serverProperties: parseProperties(o.property) } : {}),
      };
      const accepted = (await ctx.client.call<Server>("POST", "/v1/servers", body)).body;
      await answerAndWait(ctx, accepted, { kind: "status", status: "running" }, o, null);
    }),
  );

  waitFlags(
    servers
      .command("change <id>")
      .description("change a server (a new generation, rolled back if it does not come up) and follow it")
      .option("--type <type>", "what it runs: fabric, quilt, vanilla, paper, purpur or neoforge (vanilla, paper and purpur take no mods: add --no-mods)")
      .option("--minecraft <version>", "Minecraft version")
      .option("--loader <version>", "Fabric or Quilt loader version")
      .option("--build <number>", "Paper or Purpur build to pin; sent as loaderVersion")
      .option("--mod <project[@version]>", "the mod list, replaced as a whole (repeatable)", repeat, [])
      .option("--no-mods", "remove every mod")
      .option("--memory <MiB>", "memory in MiB", intArg)
      .option("--cpu <cores>", "CPU cores", intArg)
      .option("--disk <GiB>", "disk in GiB (never less than now)", intArg)
      .option("--property <key=value>", "server.properties entries, replaced as a whole (repeatable)", repeat, [])
      .option("--force", "allow a game-version downgrade"),
    true,
  ).action(
    run(
      async (
        ctx,
        o: { type?: string; minecraft?: string; loader?: string; build?: string; mod: string[]; mods: boolean; memory?: number; cpu?: number; disk?: number; property: string[]; force?: boolean } & WaitOpts,
        id: string,
      ) => {
        const loader = loaderOf(o);
        const body: Record<string, unknown> = {
          ...(o.type ? { type: o.type } : {}),
          ...(o.minecraft ? { minecraftVersion: o.minecraft } : {}),
          ...(loader ? { loaderVersion: loader } : {}),
          ...(o.mod.length ? { mods: parseMods(o.mod) } : o.mods === false ? { mods: [] } : {}),
          ...(o.memory !== undefined ? { memoryMiB: o.memory } : {}),
          ...(o.cpu !== undefined ? { cpuCores: o.cpu } : {}),
          ...(o.disk !== undefined ? { diskGiB: o.disk } : {}),
          ...(o.property.length ? { serverProperties: parseProperties(o.property) } : {}),
        };
        if (Object.keys(body).length === 0) throw new CliError("nothing to change: give at least one of --minecraft, --loader, --build, --mod, --memory, --cpu, --disk, --property", EXIT.usage);
        if (o.force) body.force = true;
        // Only what happens after the request draws the bar.
        const cursor = o.wait ? await serverEventsAfter(ctx, id, null) : null;
        const accepted = (await ctx.client.call<Server>("PATCH", `/v1/servers/${seg(id)}`, body)).body;
        await answerAndWait(ctx, accepted, { kind: "change", generation: accepted.generation }, o, cursor);
      },
    ),
  );

  waitFlags(servers.command("reinstall <id>").description("place the current manifest again from scratch and start").option("--wipe", "also remove the world and the customer's files"), true).action(
    run(async (ctx, o: { wipe?: boolean } & WaitOpts, id: string) => {
      const cursor = o.wait ? await serverEventsAfter(ctx, id, null) : null;
      const accepted = (await ctx.client.call<Server>("POST", `/v1/servers/${seg(id)}/reinstall`, { wipe: o.wipe === true })).body;
      // Running before the reinstall's provision is leased is not the end: wait for the status to leave and come back.
      await answerAndWait(ctx, accepted, { kind: "status", status: "running", again: true }, o, cursor);
    }),
  );

  const intents: [string, string, string][] = [
    ["start", "start a server", "running"],
    ["stop", "stop a server (the world is saved)", "stopped"],
    ["restart", "restart a server", "running"],
    ["delete", "delete a server and free its resources (repeatable)", "deleted"],
  ];
  for (const [action, description, target] of intents) {
    waitFlags(servers.command(`${action} <id>`).description(description), false).action(
      run(async (ctx, o: WaitOpts, id: string) => {
        const again = action === "restart";
        const cursor = o.wait && again ? await serverEventsAfter(ctx, id, null) : null;
        const accepted = await ctx.client.call<Server>(action === "delete" ? "DELETE" : "POST", `/v1/servers/${seg(id)}${action === "delete" ? "" : `/${action}`}`);
        await answerAndWait(ctx, accepted.body, { kind: "status", status: target, again }, { wait: o.wait === true, timeout: o.timeout, optIn: true }, cursor);
      }),
    );
  }
}
