import { rm } from "node:fs/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { pingServer } from "../../apps/agent/src/slp/ping";
import { createServer, serverStatus, type Api } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { waitFor } from "../support/processes";
import { destroyTestContainers } from "./support/containers";
import { createDhcpBridge, DHCP_BRIDGE, removeDhcpBridge, startDnsmasq, type Dnsmasq } from "./support/dhcpBridge";
import { buildGameTemplate } from "../../scripts/standinGame/gameTemplate";
import { pinnedJava } from "../../scripts/standinGame/pinnedJava";
import { buildStandinJar } from "../../scripts/standinGame/standinJar";
import { waitProvisioned } from "./support/provisioned";

/**
 * A DHCP host end to end: its network is `dhcp` on a bridge with dnsmasq
 * (support/dhcpBridge.ts, replies delayed), the real agent provisions a
 * server to `running` on a real container, reading the address DHCP gave it
 * from the host once the lease came, and the control plane records that
 * address: the API's, where the game answers.
 */
const VMIDS = [9932, 9933, 9934, 9935];
let c: E2eCluster;
let call: Api;
let dnsmasq: Dnsmasq | undefined;
const temp: string[] = [];

beforeAll(async () => {
  await destroyTestContainers(VMIDS);
  await createDhcpBridge();
  dnsmasq = await startDnsmasq(3);
  const jar = await buildStandinJar();
  temp.push(jar.dir);
  const t = await buildGameTemplate(jar.jar, [{ major: 21, pinned: await pinnedJava(21) }]);
  temp.push(t.dir);
  c = await startE2eCluster("lxc-dhcp-host", { ZLH_VMID_RANGE: `${VMIDS[0]}-${VMIDS.at(-1)}` });
  call = c.call;
  const network = await call("PATCH", `/v1/hosts/${c.host.id}/network`, { bridge: DHCP_BRIDGE, mode: "dhcp" });
  expect(network.status).toBe(200);
  c.startAgent({ extra: { ZLH_RUNTIME: "lxc", ZLH_LXC_TEMPLATE: t.template, ZLH_READY_TIMEOUT_MS: "120000", ZLH_STOP_TIMEOUT_MS: "20000" } });
});

afterAll(async () => {
  await c?.close();
  await destroyTestContainers(VMIDS);
  await dnsmasq?.stop();
  await removeDhcpBridge();
  for (const d of temp) await rm(d, { recursive: true, force: true });
});

it("provisions to running on the address DHCP gave the container, and the API reports it", async () => {
  const server = await createServer(call, { memoryMiB: 1024, serverProperties: { motd: "dhcp host" } });
  expect((await call("GET", `/v1/servers/${server.id}`)).body.address).toBeNull(); // a dhcp host allocates none
  await waitProvisioned(call, server.id);

  const address = (await call("GET", `/v1/servers/${server.id}`)).body.address as string;
  expect(address).toMatch(/^10\.213\.78\.(5\d|[6-9]\d)$/);
  expect((await dnsmasq!.leases()).map((l) => l.address)).toEqual([address]);
  expect(await pingServer(address, server.ports.game, 3000)).toMatchObject({ description: { text: "dhcp host" } });

  expect((await call("DELETE", `/v1/servers/${server.id}`)).status).toBe(202);
  await waitFor(async () => (await serverStatus(call, server.id)) === "deleted", 120_000, "deleted");
});
