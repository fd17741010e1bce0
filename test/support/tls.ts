import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Api } from "@zlh/testing";
import { ADMIN_TOKEN } from "./processes";

const run = promisify(execFile);

export interface TestCa {
  /** The CA's certificate (PEM file): what an agent is given with NODE_EXTRA_CA_CERTS. */
  caFile: string;
  ca: string;
  /** A certificate for 127.0.0.1 and localhost signed by the CA, and its key: the control plane's ZLH_TLS_*_FILE. */
  certFile: string;
  keyFile: string;
}

/** A private CA and a server certificate from it, made with openssl as docs/install.md shows. */
export async function makeTestCa(dir: string): Promise<TestCa> {
  const f = (n: string) => join(dir, n);
  await run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=zlh test CA", "-keyout", f("ca.key"), "-out", f("ca.pem")]);
  await run("openssl", ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", f("cp.key"), "-out", f("cp.csr")]);
  await writeFile(f("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  await run("openssl", ["x509", "-req", "-in", f("cp.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", f("san.ext"), "-out", f("cp.pem")]);
  return { caFile: f("ca.pem"), ca: await readFile(f("ca.pem"), "utf8"), certFile: f("cp.pem"), keyFile: f("cp.key") };
}

/** apiClient's contract over HTTPS, trusting only `ca` (the test runner's fetch cannot be given a CA). */
export function httpsApi(baseUrl: string, ca: string, token = ADMIN_TOKEN): Api {
  return (method, path, body, headers = {}) =>
    new Promise((resolve, reject) => {
      const text = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
      const req = request(`${baseUrl}${path}`, {
        method,
        ca,
        timeout: 10_000,
        headers: { authorization: `Bearer ${token}`, ...(text === undefined ? {} : { "content-type": "application/json" }), ...headers },
      });
      req.on("response", (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (data += c));
        const answered = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v)]));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: data ? JSON.parse(data) : undefined, headers: answered }));
      });
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within 10 s`)));
      req.on("error", reject);
      req.end(text);
    });
}
