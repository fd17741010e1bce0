let next = 0;

/**
 * A ZLH_PORT_RANGE no other control plane of this test run is using. Test
 * files run in parallel (one per vitest worker, VITEST_POOL_ID) and their sim
 * servers all listen on 127.0.0.1: with one shared range a status ping could
 * reach another file's server. Each worker owns a block of 5000 ports, cut
 * into ranges of 500 for the control planes a file starts one after another.
 */
export function nextPortRange(): string {
  const pool = Number(process.env.VITEST_POOL_ID ?? "1");
  const start = 20_000 + ((pool - 1) % 8) * 5000 + (next++ % 10) * 500;
  return `${start}-${start + 499}`;
}
