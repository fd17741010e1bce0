import type { Logger } from "pino";
import { takeSlot, type SlotDeps } from "./takeSlot";

/** Schedules one tick looks at, at most; the rest wait for the next tick. */
const PER_TICK = 500;

/** One tick: every due schedule taken in turn, each in a transaction of its own. Returns how many were looked at. */
export async function scheduleTick(deps: SlotDeps): Promise<number> {
  const passed: string[] = [];
  while (passed.length < PER_TICK) {
    const id = await takeSlot(deps, passed);
    if (id === null) break;
    passed.push(id);
  }
  return passed.length;
}

/**
 * Every control plane ticks, every `tickMs` jittered by a quarter either way
 * so processes started together do not tick in step; which slots are due is
 * the database's clock's decision, and each is taken by one of them.
 */
export function startScheduler(deps: SlotDeps, tickMs: number, log: Logger): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;
  const arm = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = scheduleTick(deps)
        .then(() => undefined)
        .catch((err: unknown) => log.error({ err }, "schedule tick failed"))
        .finally(() => {
          running = null;
          arm();
        });
    }, tickMs * (0.75 + Math.random() / 2));
  };
  arm();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
