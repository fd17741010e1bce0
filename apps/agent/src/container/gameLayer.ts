import { manifestLaunch, type Manifest } from "@zlh/artifacts";
import type { OpContext } from "../ops/context";
import { ensureLeaseHeld } from "../ops/context";
import { installGameUnit } from "./installGameUnit";
import { javaMajorFor } from "./javaMajor";

/** Which game a placement is for: its version, and the Java its manifest pins (or the spec names), if any. */
export interface GameOf {
  minecraftVersion: string;
  javaMajor?: number;
  manifest?: ({ java?: { major: number } } & Pick<Manifest, "type" | "launch">) | null;
}

/**
 * What a container that boots an OS needs beyond the server's files: the
 * systemd unit that starts the game at boot (container/gameUnit.ts), with
 * the heap from the memory the container has now (read from the runtime, so
 * it is right after a change and after its rollback alike), the java of the
 * game's major version and the jar the manifest starts the game with (its
 * `launch`; Fabric's launcher for a manifest from before types). Called after every
 * placement (provision, reinstall, change, rollback, restore) and before the
 * container is started; a running container's systemd reads it at its next
 * boot. A runtime whose containers boot no OS (sim: the server is the
 * container's process) needs none of it.
 */
export async function installGameLayer(ctx: OpContext, game: GameOf): Promise<void> {
  const { runtime, op, log } = ctx;
  if (!runtime.bootsOs) return;
  const vmid = op.spec.vmid;
  const { memoryMiB } = await runtime.resources(vmid);
  const javaMajor = javaMajorFor(game.minecraftVersion, game.manifest?.java?.major ?? game.javaMajor);
  const { jar, argFiles } = manifestLaunch(game.manifest ?? {});
  ensureLeaseHeld(ctx);
  await runtime.withGuest(vmid, (guest) => installGameUnit(guest, argFiles ? { memoryMiB, javaMajor, argFiles } : { memoryMiB, javaMajor, jar }), ctx.signal);
  log.info({ vmid, memoryMiB, javaMajor, jar, argFiles }, "game unit installed");
}
