import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mirrorSource, OFFLINE_MIRROR_DIR, type ArtifactSource, type Manifest } from "@zlh/artifacts";
import { markerFor } from "@zlh/protocol";
import { freePort } from "@zlh/testing";
import { ArtifactCache } from "../../src/placement/cache";
import { placeServer, SERVER_DIR } from "../../src/placement/placeServer";
import { SimRuntime } from "../../src/runtime/sim";
import { pingServer } from "../../src/slp/ping";

export interface SimFirstBoot {
  rt: SimRuntime;
  vmid: number;
  /** The placed server directory on the host. */
  dir: string;
  cache: ArtifactCache;
  /** The operation spec the manifest was placed with (its ports), for placing again. */
  spec: (manifest: Manifest) => Parameters<typeof placeServer>[1];
  /** Starts the simulated server on the directory as it is, then stops it: whether it answered, and its log. */
  boot: () => Promise<{ answered: boolean; log: string }>;
  /** Stops the server if it still runs. */
  close: () => Promise<void>;
}

/** A sim container with `manifest` placed from the offline mirror (or `source`), for first-boot tests of a type's launcher decision. */
export async function simFirstBoot(vmid: number, serverId: string, manifest: Manifest, source: ArtifactSource = mirrorSource(OFFLINE_MIRROR_DIR, "offline")): Promise<SimFirstBoot> {
  const simRoot = await mkdtemp(join(tmpdir(), "zlh-sim-"));
  const rt = new SimRuntime({ root: simRoot });
  const port = await freePort();
  await rt.create({ vmid, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, description: markerFor(serverId) });
  const cache = new ArtifactCache(await mkdtemp(join(tmpdir(), "zlh-cache-")), source);
  const spec = (m: Manifest) => ({ vmid, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, gamePort: port, rconPort: port + 1, minecraftVersion: m.game, loaderVersion: null, serverProperties: {}, manifest: m, rconPassword: "pw" });
  await rt.withGuest(vmid, (guest) => placeServer(guest, spec(manifest), manifest, cache));
  const dir = join(simRoot, String(vmid), "rootfs", SERVER_DIR);
  const running = async () => (await rt.inspect(vmid))?.state === "running";
  const boot = async () => {
    await rt.start(vmid);
    let answered = false;
    // Until it answers or stops (a refusal), within a deadline, not a number of tries: a refused connection
    // returns at once, and on a loaded machine the server takes longer than a fixed count of tries to listen.
    for (const deadline = Date.now() + 15_000; !answered && Date.now() < deadline; ) {
      if (!(await running())) break;
      answered = await pingServer(await rt.address(vmid), port, 200).then(() => true, () => false);
      if (!answered) await new Promise((r) => setTimeout(r, 50));
    }
    if (await running()) await rt.stop(vmid, 2000);
    return { answered, log: await readFile(join(dir, "logs/latest.log"), "utf8").catch(() => "") };
  };
  const close = async () => {
    if (await running()) await rt.stop(vmid, 2000);
  };
  return { rt, vmid, dir, cache, spec, boot, close };
}
