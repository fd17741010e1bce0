import { describe, expect, it } from "vitest";
import { EdgeBodyCache } from "../../src/edge/bodyCache";

describe("the edge body cache (the Traefik endpoint's)", () => {
  const counting = () => {
    let builds = 0;
    return { build: async () => ({ body: ++builds, etag: `"${builds}"` }), builds: () => builds };
  };

  it("builds once per change heard, and never caches before its LISTEN is established", async () => {
    const cache = new EdgeBodyCache<number>();
    const c = counting();
    expect((await cache.get(c.build)).body).toBe(1);
    expect((await cache.get(c.build)).body).toBe(2);
    cache.listened();
    expect((await cache.get(c.build)).body).toBe(3);
    expect((await cache.get(c.build)).body).toBe(3);
    expect((await cache.get(c.build)).etag).toBe('"3"');
    cache.changed();
    expect((await cache.get(c.build)).body).toBe(4);
    expect(c.builds()).toBe(4);
    // A reconnected LISTEN may have missed changes: rebuilt.
    cache.listened();
    expect((await cache.get(c.build)).body).toBe(5);
  });

  it("serves a body a change arrived during once, and does not keep it", async () => {
    const cache = new EdgeBodyCache<number>();
    cache.listened();
    let n = 0;
    const racing = async () => {
      n++;
      if (n === 1) cache.changed(); // heard while the first build read the database
      return { body: n, etag: `"${n}"` };
    };
    expect((await cache.get(racing)).body).toBe(1);
    expect((await cache.get(racing)).body).toBe(2);
    expect((await cache.get(racing)).body).toBe(2);
  });
});
