import type { Command } from "commander";
import { CliError, EXIT } from "../exitCodes";
import { ago, mib, seg, show, table, type Ctx } from "../output";
import { byIdOrName, intArg, type Run } from "./shared";

interface Host {
  id: string;
  name: string;
  node: string;
  connected: boolean;
  lastHeartbeatAt: string | null;
  cordoned: boolean;
  capacity: { memoryMiB: number; cpuCores: number; diskGiB: number };
  allocated: { memoryMiB: number; cpuCores: number; diskGiB: number };
  servers: { total: number; running: number };
}

const hostTable = (ctx: Ctx, items: Host[]) =>
  table(
    ctx,
    ["ID", "NAME", "NODE", "AGENT", "HEARTBEAT", "SCHEDULING", "MEMORY", "CPU", "DISK", "SERVERS"],
    items.map((h) => [
      h.id,
      h.name,
      h.node,
      h.connected ? "connected" : "disconnected",
      ago(h.lastHeartbeatAt),
      h.cordoned ? "cordoned" : "open",
      `${mib(h.allocated.memoryMiB)}/${mib(h.capacity.memoryMiB)}`,
      `${h.allocated.cpuCores}/${h.capacity.cpuCores}`,
      `${h.allocated.diskGiB}G/${h.capacity.diskGiB}G`,
      `${h.servers.running}/${h.servers.total} running`,
    ]),
  );

/** A host by id or by name (names are unique): one list of the hosts. */
async function hostId(ctx: Ctx, ref: string): Promise<string> {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref)) return ref;
  const host = byIdOrName((await ctx.client.call("GET", "/v1/hosts")).body.items as Host[], ref);
  if (!host) throw new CliError(`host_not_found: no host named ${ref}`, EXIT.notFound);
  return host.id;
}

export function hostCommands(program: Command, run: Run): void {
  const hosts = program.command("hosts").alias("host").description("the fleet: list, enrol, cordon, uncordon, drain (admin)");

  hosts
    .command("list")
    .description("hosts with their agent, capacity and servers")
    .action(
      run(async (ctx) => {
        const body = (await ctx.client.call<{ items: Host[] }>("GET", "/v1/hosts")).body;
        show(ctx, body, () => hostTable(ctx, body.items));
      }),
    );

  hosts
    .command("enroll <name>")
    .description("enrol a host; prints its agent token once (put it in the agent's ZLH_AGENT_TOKEN)")
    .option("--node <node>", "its Proxmox node name (default: the name)")
    .requiredOption("--memory <MiB>", "memory servers may use, MiB", intArg)
    .requiredOption("--cpu <cores>", "CPU cores servers may use", intArg)
    .requiredOption("--disk <GiB>", "disk servers may use, GiB", intArg)
    .action(
      run(async (ctx, o: { node?: string; memory: number; cpu: number; disk: number }, name: string) => {
        const body = (
          await ctx.client.call("POST", "/v1/hosts", { name, node: o.node ?? name, capacity: { memoryMiB: o.memory, cpuCores: o.cpu, diskGiB: o.disk } })
        ).body as { id: string; name: string; agentToken: string };
        show(ctx, body, () => {
          ctx.out(`host ${body.name} enrolled: ${body.id}`);
          ctx.out(`agent token (shown once, stored hashed): ${body.agentToken}`);
        });
      }),
    );

  for (const [action, description] of [
    ["cordon", "place no new servers on the host (what runs keeps running)"],
    ["uncordon", "place servers on the host again"],
  ] as const) {
    hosts
      .command(`${action} <host>`)
      .description(description)
      .action(
        run(async (ctx, _o, ref: string) => {
          const body = (await ctx.client.call<Host>("POST", `/v1/hosts/${seg(await hostId(ctx, ref))}/${action}`)).body;
          show(ctx, body, () => hostTable(ctx, [body]));
        }),
      );
  }

  hosts
    .command("drain <host>")
    .description("cordon, and list what is still on the host")
    .action(
      run(async (ctx, _o, ref: string) => {
        const body = (await ctx.client.call("POST", `/v1/hosts/${seg(await hostId(ctx, ref))}/drain`)).body as {
          host: Host;
          remaining: { id: string; name: string; status: string; vmid: number }[];
        };
        show(ctx, body, () => {
          hostTable(ctx, [body.host]);
          ctx.out("");
          if (body.remaining.length === 0) ctx.out("nothing left on the host: it can be removed");
          else table(ctx, ["REMAINING", "NAME", "STATUS", "VMID"], body.remaining.map((s) => [s.id, s.name, s.status, s.vmid]));
        });
      }),
    );

  program
    .command("drift")
    .description("open differences between the database and what the hosts report")
    .action(
      run(async (ctx) => {
        const body = (await ctx.client.call("GET", "/v1/drift")).body as {
          items: { kind: string; hostId: string; vmid: number; serverId?: string; detectedAt: string; detail: Record<string, unknown> }[];
        };
        show(ctx, body, () =>
          table(
            ctx,
            ["KIND", "HOST", "VMID", "SERVER", "DETECTED", "DETAIL"],
            body.items.map((d) => [d.kind, d.hostId, d.vmid, d.serverId, ago(d.detectedAt), JSON.stringify(d.detail)]),
          ),
        );
      }),
    );
}
