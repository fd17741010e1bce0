import { createHash } from "node:crypto";
import { delay, http, HttpResponse } from "msw";

/** A proxy's routes as the fakes keep them: name -> backend. */
export interface FakeProxy {
  handlers: ReturnType<typeof http.get>[];
  routes: Map<string, { address: string; port: number }>;
  hang: boolean;
  /** mc-router before v1.42.0: GET /routes maps each address to its backend string. */
  legacy?: boolean;
}

/**
 * The zpack bridge plugin's HTTP API as the user runs it in Velocity:
 * X-Zpack-Secret must be the sha256 hex of the shared secret (else 401);
 * register refuses a name Velocity already has (409: Velocity's
 * registerServer does not replace), unregister answers 404 for a name it
 * does not have.
 */
export function fakeVelocity(base: string, secret: string): FakeProxy {
  const fake: FakeProxy = { handlers: [], routes: new Map(), hang: false };
  const expected = createHash("sha256").update(secret).digest("hex");
  const guard = async (request: Request) => {
    if (fake.hang) await delay("infinite");
    return request.headers.get("x-zpack-secret") === expected ? null : HttpResponse.json({ error: "unauthorized" }, { status: 401 });
  };
  const body = async (request: Request) => (await request.json().catch(() => null)) as Record<string, unknown> | null;
  fake.handlers = [
    http.get(`${base}/zpack/list`, async ({ request }) => (await guard(request)) ?? HttpResponse.json({ servers: [...fake.routes].map(([name, r]) => ({ name, address: r.address, port: r.port, players: 0 })) })),
    http.post(`${base}/zpack/register`, async ({ request }) => {
      const refused = await guard(request);
      if (refused) return refused;
      const b = await body(request);
      if (typeof b?.server_name !== "string" || typeof b.address !== "string" || typeof b.port !== "number") return HttpResponse.json({ error: "server_name, address and port are required" }, { status: 400 });
      if (fake.routes.has(b.server_name)) return HttpResponse.json({ error: `server ${b.server_name} is already registered` }, { status: 409 });
      fake.routes.set(b.server_name, { address: b.address, port: b.port });
      return HttpResponse.json({ ok: true });
    }),
    http.post(`${base}/zpack/unregister`, async ({ request }) => {
      const refused = await guard(request);
      if (refused) return refused;
      const b = await body(request);
      if (typeof b?.server_name !== "string") return HttpResponse.json({ error: "server_name is required" }, { status: 400 });
      if (!fake.routes.delete(b.server_name)) return HttpResponse.json({ error: "not registered" }, { status: 404 });
      return HttpResponse.json({ ok: true });
    }),
  ];
  return fake;
}

/**
 * itzg/mc-router's API as server/api_server.go serves it: no authentication;
 * GET /routes is an object keyed by server address, each `{backend,
 * scalingTarget}` (v1.42.0 on) or the backend string (`legacy`, before);
 * POST /routes creates or replaces (201, empty body; 400 for a body Go's
 * decoder cannot read into its struct, such as no JSON or a non-object); DELETE
 * answers 200 or 404 with an empty body; addresses are lowercased.
 */
export function fakeMcRouter(base: string): FakeProxy {
  const fake: FakeProxy = { handlers: [], routes: new Map(), hang: false };
  const hang = async () => {
    if (fake.hang) await delay("infinite");
  };
  fake.handlers = [
    http.get(`${base}/routes`, async () => {
      await hang();
      return HttpResponse.json(Object.fromEntries([...fake.routes].map(([name, r]) => [name, fake.legacy ? `${r.address}:${r.port}` : { backend: `${r.address}:${r.port}`, scalingTarget: "" }])));
    }),
    http.post(`${base}/routes`, async ({ request }) => {
      await hang();
      const b = (await request.json().catch(() => undefined)) as { serverAddress?: string; backend?: string } | null | undefined;
      // Go's json.Decoder into a struct: JSON null leaves it empty, anything else not an object fails.
      if (b === undefined || (b !== null && (typeof b !== "object" || Array.isArray(b)))) return new HttpResponse(null, { status: 400 });
      const [address, port] = (b?.backend ?? "").split(":");
      fake.routes.set((b?.serverAddress ?? "").toLowerCase(), { address: address ?? "", port: Number(port) });
      return new HttpResponse(null, { status: 201 });
    }),
    http.delete(`${base}/routes/:serverAddress`, async ({ params }) => {
      await hang();
      return new HttpResponse(null, { status: fake.routes.delete(String(params.serverAddress).toLowerCase()) ? 200 : 404 });
    }),
  ];
  return fake;
}
