import { existsSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { LxcRuntime } from "../../apps/agent/src/runtime/lxc";
import { destroyTestContainers } from "./support/containers";

/**
 * A unit that outgrows the container's memory is OOM-killed; the host sees
 * it dead through its cgroup and the container's memory evidence, without
 * entering the container, while the container keeps running.
 */
const rt = new LxcRuntime();
const V = 9915;
const UNIT = "zlh-hog.service";
beforeAll(() => destroyTestContainers());
afterAll(() => destroyTestContainers());

it("sees an OOM-killed unit dead and the container's limit hit (and the kill counted where the kernel keeps it: cgroup v2)", async () => {
  await rt.create({ vmid: V, hostname: "zlh-oom", memoryMiB: 256, cpuCores: 1, diskGiB: 1, description: "oom test" });
  await rt.withGuest(V, async (guest) => {
    // Perl (in every Debian) grows to 2000 MiB, 1 MiB at a time, in a 256 MiB container: bounded, and killed long before.
    // `$$` is a literal `$` to systemd.
    const hog = "for (1..2000) { push @a, \"x\" x 1048576 } sleep 60";
    await guest.write(`etc/systemd/system/${UNIT}`, `[Service]\nExecStart=/usr/bin/perl -e 'sleep 2; ${hog.replaceAll("$", "$$")}'\n`);
    // Enabled as the game unit is: a drop-in of multi-user.target, no link.
    await guest.write("etc/systemd/system/multi-user.target.d/zlh-hog.conf", `[Unit]\nWants=${UNIT}\n`);
  });
  await rt.start(V);
  let sawAlive = false;
  let dead = false;
  for (let i = 0; i < 120 && !dead; i++) {
    const s = await rt.unitState(V, UNIT);
    if (s?.populated) sawAlive = true;
    else if (sawAlive) dead = true;
    if (!dead) await new Promise((r) => setTimeout(r, 250));
  }
  expect(sawAlive).toBe(true);
  expect(dead).toBe(true);
  expect((await rt.inspect(V))?.state).toBe("running");
  const memory = await rt.memoryEvents(V);
  expect(memory!.limitHits).toBeGreaterThan(0);
  if (existsSync("/sys/fs/cgroup/cgroup.controllers")) expect(memory!.oomKills).toBeGreaterThanOrEqual(1);
  else expect(memory!.oomKills).toBeNull();
  await rt.stop(V, 5000);
  await rt.destroy(V);
});
