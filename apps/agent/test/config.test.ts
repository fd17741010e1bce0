import { describe, expect, it } from "vitest";
import { loadAgentConfig } from "../src/config";

const base = { ZLH_AGENT_TOKEN: "t", ZLH_RUNTIME: "sim", ZLH_ARTIFACT_SOURCE: "offline" };

describe("agent configuration: the control-plane URL carries RCON passwords", () => {
  it("refuses plaintext to a host outside loopback, naming the variable and the way out", () => {
    for (const url of ["http://10.0.0.5:3000", "ws://cp.example.com", "http://[2001:db8::1]:3000", "http://128.0.0.1"]) {
      expect(() => loadAgentConfig({ ...base, ZLH_CONTROL_URL: url }), url).toThrow(/ZLH_CONTROL_URL.*https:\/\/ or wss:\/\/.*ZLH_ALLOW_INSECURE_CONTROL_URL=true/);
    }
  });

  it("accepts TLS anywhere, plaintext on loopback, and plaintext when the operator says the network is trusted", () => {
    for (const url of ["https://cp.example.com", "wss://10.0.0.5:3000", "http://127.0.0.1:3000", "ws://127.3.2.1", "http://localhost:3000", "http://[::1]:3000"]) {
      expect(loadAgentConfig({ ...base, ZLH_CONTROL_URL: url }).controlUrl, url).toBe(url);
    }
    expect(loadAgentConfig({ ...base, ZLH_CONTROL_URL: "http://10.0.0.5:3000", ZLH_ALLOW_INSECURE_CONTROL_URL: "true" }).controlUrl).toBe("http://10.0.0.5:3000");
  });
});
