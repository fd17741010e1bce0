import { rconCommand } from "../rcon/rconCommand";
import { ensureLeaseHeld, type OpContext, type ResultData } from "./context";
import { OpFailure } from "./opFailure";
import { serverAddress } from "./serverAddress";

/**
 * A console command: sent to the running server over RCON at the
 * container's address, with the server's own RCON password (which never
 * leaves the control plane and this agent); the reply comes back as the
 * result. Run once (a command is not repeated on a retry).
 */
export async function command(ctx: OpContext): Promise<ResultData> {
  const { op, runtime } = ctx;
  const line = op.spec.command;
  if (!line) throw new OpFailure("command_missing", "a command operation must carry its command", false);
  if (!op.spec.rconPassword) throw new OpFailure("rcon_disabled", "the server has no RCON password", false);
  const ct = await runtime.inspect(op.spec.vmid);
  if (ct?.state !== "running") throw new OpFailure("not_running", `CT ${op.spec.vmid} is not running`, false);
  ensureLeaseHeld(ctx);
  try {
    const reply = await rconCommand(await serverAddress(ctx), op.spec.rconPort, op.spec.rconPassword, line);
    ctx.log.info({ vmid: op.spec.vmid, bytes: reply.length }, "console command answered");
    return { reply };
  } catch (err) {
    throw new OpFailure("rcon_failed", (err as Error).message, false);
  }
}
