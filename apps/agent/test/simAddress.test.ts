import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SimRuntime } from "../src/runtime/sim";
import { simAddress } from "../src/runtime/simAddress";

describe("the sim's addresses", () => {
  it("are its own loopback ones, whatever network the control plane allocated (a sim never reaches a host's network)", async () => {
    const rt = new SimRuntime({ root: await mkdtemp(join(tmpdir(), "zlh-sim-addr-")) });
    const network = { bridge: "vmbr1", address: "192.0.2.10", prefix: 24, gateway: "192.0.2.1" };
    expect(await rt.address(5000, network)).toBe(simAddress(5000));
    expect(simAddress(5000)).toMatch(/^127\./);
  });
});
