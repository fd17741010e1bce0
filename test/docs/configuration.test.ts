import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadAgentConfig } from "../../apps/agent/src/config";
import { AGENT_ENV } from "../../apps/agent/src/configVars";
import { loadConfig } from "../../apps/control-plane/src/config";
import { CONTROL_PLANE_ENV } from "../../apps/control-plane/src/configVars";
import type { Env } from "@zlh/domain";
import { TEST_SECRETS_KEY } from "@zlh/testing";
import { CONFIGURATION_DOC, renderConfigurationDoc } from "../../scripts/docs/configDocs";

/** The names `load` reads from an environment holding every variable of `env`. */
function namesRead(load: (env: Env) => unknown, env: Env): string[] {
  const read = new Set<string>();
  load(new Proxy(env, { get: (target, name) => (typeof name === "string" && read.add(name), Reflect.get(target, name)) }));
  return [...read].sort();
}

describe("docs/configuration.md is generated from the code that reads the configuration", () => {
  it("is what `pnpm docs:config` renders now (run it after changing a config table)", () => {
    const doc = readFileSync(CONFIGURATION_DOC, "utf8");
    expect(renderConfigurationDoc(doc)).toBe(doc);
  });

  it("refuses a file whose markers are gone, instead of dropping a table", () => {
    expect(() => renderConfigurationDoc("# Configuration\n")).toThrow(/lost its markers for control-plane/);
  });

  it("the control plane reads exactly the variables its table lists", () => {
    const everything: Env = {
      DATABASE_URL: "postgres://u@h/db",
      ZLH_API_TOKENS: "panel:panel=a-long-enough-token-123",
      ZLH_SECRETS_KEY: TEST_SECRETS_KEY,
      ZLH_ARTIFACT_SOURCE: "mirror",
      ZLH_ARTIFACT_MIRROR: "/srv/mirror",
      ZLH_PROXMOX_URL: "https://pve:8006",
      ZLH_PROXMOX_TOKEN_ID: "zlh@pve!reconcile",
      ZLH_PROXMOX_TOKEN_SECRET: "0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f",
      ZLH_EDGE_WEBHOOK_URL: "https://edge.internal/hook",
      ZLH_EDGE_WEBHOOK_SECRET: "a-webhook-secret-of-32-characters",
      ZLH_EDGE_ZONE: "play.example.com",
      ZLH_EDGE_PROVIDERS: JSON.stringify([{ name: "dns", kind: "rfc2136", server: "127.0.0.1:53", keyName: "zlh-edge", keySecret: Buffer.alloc(32).toString("base64") }]),
      ZLH_TLS_CERT_FILE: "/etc/zlh/cert.pem",
      ZLH_TLS_KEY_FILE: "/etc/zlh/key.pem",
    };
    expect(namesRead(loadConfig, everything)).toEqual(Object.keys(CONTROL_PLANE_ENV).sort());
  });

  it("the agent reads exactly the variables its table lists", () => {
    const everything: Env = {
      ZLH_CONTROL_URL: "http://10.0.0.5:3000",
      ZLH_ALLOW_INSECURE_CONTROL_URL: "true",
      ZLH_AGENT_TOKEN: "t",
      ZLH_ARTIFACT_SOURCE: "mirror",
      ZLH_ARTIFACT_MIRROR: "/srv/mirror",
    };
    expect(namesRead(loadAgentConfig, everything)).toEqual(Object.keys(AGENT_ENV).sort());
  });

  it("takes each unset variable's default from the table", () => {
    const c = loadConfig({ DATABASE_URL: "postgres://u@h/db", ZLH_API_TOKENS: "a-long-enough-token-123", ZLH_SECRETS_KEY: TEST_SECRETS_KEY });
    expect([c.port, c.leaseTtlMs, c.placementPolicy, c.host]).toEqual([
      CONTROL_PLANE_ENV.PORT.default,
      CONTROL_PLANE_ENV.ZLH_LEASE_TTL_MS.default,
      CONTROL_PLANE_ENV.ZLH_PLACEMENT_POLICY.default,
      CONTROL_PLANE_ENV.HOST.default,
    ]);
    const a = loadAgentConfig({ ZLH_CONTROL_URL: "http://127.0.0.1:3000", ZLH_AGENT_TOKEN: "t" });
    expect([a.runtime, a.stateDir, a.simRoot, a.pct.template]).toEqual([
      AGENT_ENV.ZLH_RUNTIME.default,
      AGENT_ENV.ZLH_STATE_DIR.default,
      `${AGENT_ENV.ZLH_STATE_DIR.default}/sim`,
      AGENT_ENV.ZLH_PCT_TEMPLATE.default,
    ]);
  });
});
