import { describe, expect, it } from "vitest";
import { ConfigError } from "@zlh/domain";
import { TEST_SECRETS_KEY } from "@zlh/testing";
import { loadConfig } from "../src/config";

const base = { DATABASE_URL: "postgres://u@h/db", ZLH_API_TOKENS: "a-long-enough-token-123", ZLH_SECRETS_KEY: TEST_SECRETS_KEY };

describe("loadConfig", () => {
  it("applies the documented defaults", () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({
      port: 3000,
      host: "0.0.0.0",
      vmidRange: { first: 5000, last: 5999 },
      portRange: { first: 40000, last: 44999 },
      leaseTtlMs: 15000,
      reconcileIntervalMs: 30000,
      reconcileRecheckMs: 300000,
      artifactSource: "upstream",
      proxmox: null,
      edgeProviders: [],
      neoforgeInstallerMemoryBytes: 3 * 1024 * 1024 * 1024,
    });
  });

  it("takes 0 for the NeoForge installer's memory bound: none but its heap's", () => {
    expect(loadConfig({ ...base, ZLH_NEOFORGE_INSTALLER_MEMORY_BYTES: "0" }).neoforgeInstallerMemoryBytes).toBe(0);
  });

  it.each([
    [{ DATABASE_URL: undefined }, "DATABASE_URL"],
    [{ DATABASE_URL: "mysql://x" }, "DATABASE_URL"],
    [{ ZLH_API_TOKENS: "short" }, "ZLH_API_TOKENS"],
    // The deploy/env example's placeholders are long enough: left in, they would be a published admin token.
    [{ ZLH_API_TOKENS: "ops:admin=CHANGE-ME-admin-token,panel:panel=CHANGE-ME-panel-token" }, "ZLH_API_TOKENS"],
    [{ ZLH_VMID_RANGE: "6000-5000" }, "ZLH_VMID_RANGE"],
    [{ ZLH_PORT_RANGE: "80-90" }, "ZLH_PORT_RANGE"],
    [{ ZLH_LEASE_TTL_MS: "soon" }, "ZLH_LEASE_TTL_MS"],
    [{ PORT: "70000" }, "PORT"],
    [{ ZLH_SECRETS_KEY: "dG9vIHNob3J0" }, "ZLH_SECRETS_KEY"],
    [{ ZLH_ARTIFACT_SOURCE: "mirror" }, "ZLH_ARTIFACT_MIRROR"],
    [{ ZLH_PROXMOX_URL: "https://pve:8006" }, "ZLH_PROXMOX_TOKEN_ID"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    // Over 200 MiB an upload's bytea, sent as hex, breaks Postgres's message limit: a 500 at upload, so refused at start.
    [{ ZLH_MODPACK_MAX_BYTES: String(200 * 1024 * 1024 + 1) }, "ZLH_MODPACK_MAX_BYTES"],
    [{ ZLH_MODPACK_RETENTION_DAYS: "0" }, "ZLH_MODPACK_RETENTION_DAYS"],
    [{ ZLH_NEOFORGE_RETENTION_DAYS: "0" }, "ZLH_NEOFORGE_RETENTION_DAYS"],
    [{ ZLH_NEOFORGE_NEW_BUILDS_PER_DAY: "-1" }, "ZLH_NEOFORGE_NEW_BUILDS_PER_DAY"],
    // A bound no JVM starts in is a typo (bytes meant as MiB), not a bound.
    [{ ZLH_NEOFORGE_INSTALLER_MEMORY_BYTES: "3072" }, "ZLH_NEOFORGE_INSTALLER_MEMORY_BYTES"],
  ])("names the bad variable: %o", (over, variable) => {
    let err: unknown;
    try {
      loadConfig({ ...base, ...over });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(variable);
    expect((err as Error).message.startsWith(`${variable}: `)).toBe(true);
  });
});
