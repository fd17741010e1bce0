import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@zlh/testing";

/**
 * A real BIND 9 (`named`, Debian's bind9 package) for one test file: on
 * 127.0.0.1 and a free port, with its own primary zone that TSIG key
 * `zlh-edge` may update (and transfer), a second key it knows but does not
 * allow to update, and the command-line tools (nsupdate, dig) to change and
 * read the zone behind the provider's back.
 */
export interface Bind {
  port: number;
  zone: string;
  keyName: string;
  secret: string;
  /** Known to named, not allowed to update the zone. */
  otherKey: { name: string; secret: string };
  /** Runs nsupdate (over TCP, signed with zlh-edge) with these commands between `zone` and `send`. */
  nsupdate(commands: string[]): Promise<void>;
  /** `dig +short` over TCP. */
  dig(name: string, type: string): Promise<string[]>;
  /** The zone as an AXFR gives it, one record a line, sorted. */
  axfr(): Promise<string[]>;
  /** Stops named (a DNS outage) and starts it again after `downMs`, on the same port with the zone as it was. */
  restart(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

const TOOLS = ["named", "nsupdate", "dig"] as const;

function which(tool: string): string | null {
  for (const dir of [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/bin", "/sbin"]) {
    if (dir && existsSync(join(dir, tool))) return join(dir, tool);
  }
  return null;
}

function run(file: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: 15_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${file} ${args.join(" ")} failed: ${stderr || err.message}`)) : resolve(stdout)));
    child.stdin?.end(input ?? "");
  });
}

export async function startBind(): Promise<Bind> {
  const paths = Object.fromEntries(TOOLS.map((t) => [t, which(t)]));
  const missing = TOOLS.filter((t) => !paths[t]);
  if (missing.length > 0) {
    throw new Error(`${missing.join(", ")} not found: these tests run a real BIND 9. Run .ci/run's install step (as root: apt-get install -y bind9 bind9-dnsutils), see docs/testing.md.`);
  }
  const dir = await mkdtemp(join(tmpdir(), "zlh-bind-"));
  const port = await freePort();
  const zone = "play.test";
  const secret = randomBytes(32).toString("base64");
  const otherKey = { name: "other-key", secret: randomBytes(32).toString("base64") };
  const keyFile = join(dir, "zlh-edge.key");
  await writeFile(keyFile, `key "zlh-edge" { algorithm hmac-sha256; secret "${secret}"; };\n`);
  await writeFile(join(dir, `${zone}.zone`), [`$TTL 300`, `@ IN SOA ns.${zone}. hostmaster.${zone}. 1 3600 600 86400 60`, `@ IN NS ns.${zone}.`, `ns IN A 127.0.0.1`, ""].join("\n"));
  await writeFile(
    join(dir, "named.conf"),
    `include "${keyFile}";
key "${otherKey.name}" { algorithm hmac-sha256; secret "${otherKey.secret}"; };
options {
  directory "${dir}";
  pid-file none;
  session-keyfile none;
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  notify no;
  allow-transfer { key "zlh-edge"; };
};
controls { };
zone "${zone}" { type primary; file "${zone}.zone"; allow-update { key "zlh-edge"; }; };
`,
  );
  let named = await startNamed(paths.named!, join(dir, "named.conf"));
  const stopNamed = async () => {
    if (named.exitCode === null && named.signalCode === null) {
      const exited = new Promise((resolve) => named.once("exit", resolve));
      named.kill("SIGTERM");
      await exited;
    }
  };
  return {
    port,
    zone,
    keyName: "zlh-edge",
    secret,
    otherKey,
    async nsupdate(commands) {
      await run(paths.nsupdate!, ["-v", "-k", keyFile], [`server 127.0.0.1 ${port}`, `zone ${zone}`, ...commands, "send", ""].join("\n"));
    },
    async dig(name, type) {
      const out = await run(paths.dig!, [`@127.0.0.1`, "-p", String(port), "+tcp", "+short", name, type]);
      return out.split("\n").filter((l) => l.trim() !== "");
    },
    async axfr() {
      const out = await run(paths.dig!, [`@127.0.0.1`, "-p", String(port), "-k", keyFile, "+nocmd", "+nostats", "+nocomments", zone, "AXFR"]);
      const lines = out
        .split("\n")
        .filter((l) => l.trim() !== "" && !l.startsWith(";") && !/\sTSIG\s/.test(l))
        .map((l) => l.split(/\s+/).join(" "))
        .sort();
      // A refused transfer prints only comments: an empty zone must not compare equal to another.
      if (!lines.some((l) => l.includes(" SOA "))) throw new Error(`the zone transfer failed:\n${out}`);
      return lines;
    },
    async restart(downMs) {
      await stopNamed();
      await new Promise((r) => setTimeout(r, downMs));
      named = await startNamed(paths.named!, join(dir, "named.conf"));
    },
    async stop() {
      await stopNamed();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** named in the foreground, resolved once it says it is running. */
async function startNamed(binary: string, conf: string): Promise<ChildProcess> {
  const named: ChildProcess = spawn(binary, ["-g", "-n", "1", "-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`named did not start within 20 s:\n${log}`)), 20_000);
    named.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      if (/ running$/m.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    named.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`named exited with ${code} at start:\n${log}`));
    });
  });
  return named;
}
