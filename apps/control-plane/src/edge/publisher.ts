import { createHmac } from "node:crypto";

/** What DNS / the edge router needs to route players to a server. */
export interface EdgeRecord {
  serverId: string;
  name: string;
  hostNode: string;
  vmid: number;
  gamePort: number;
  /** The container's IPv4 address (what the edge routes to); null while it is not known (dhcp, not reported). */
  address: string | null;
}

/**
 * Where a running server is made reachable by name (DNS, Traefik, ...), and
 * unreachable again before it is deleted. A downstream effect only: edge
 * state never decides a server's status. Both calls must be idempotent.
 */
export interface EdgePublisher {
  publish(record: EdgeRecord): Promise<void>;
  unpublish(serverId: string): Promise<void>;
}

export const noopPublisher: EdgePublisher = {
  async publish() {},
  async unpublish() {},
};

/**
 * POSTs `{ action: "publish", server }` / `{ action: "unpublish", serverId }`
 * to a webhook. Any non-2xx answer throws, so the graphile-worker job retries
 * with its backoff. With a secret, X-ZLH-Signature carries
 * `sha256=<hex HMAC of the body>` so the receiver can check the sender.
 */
export function webhookPublisher(url: string, secret: string | null): EdgePublisher {
  const post = async (body: Record<string, unknown>) => {
    const text = JSON.stringify(body);
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (secret) headers["x-zlh-signature"] = `sha256=${createHmac("sha256", secret).update(text).digest("hex")}`;
    const res = await fetch(url, { method: "POST", headers, body: text, signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`edge webhook answered ${res.status}`);
  };
  return {
    publish: (record) => post({ action: "publish", server: record }),
    unpublish: (serverId) => post({ action: "unpublish", serverId }),
  };
}
