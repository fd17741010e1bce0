/**
 * Where a mirror keeps the copy of an upstream URL: `<host><path>[@<query>].body`.
 * The `.body` suffix keeps a resource from colliding with the directory of
 * longer paths (Fabric's `/v2/versions/loader/1.21.1` is both a listing and
 * the prefix of `/v2/versions/loader/1.21.1/<loader>/<installer>/server/jar`).
 */
export function mirrorPath(url: string): string {
  const u = new URL(url);
  const query = u.search.length > 1 ? `@${encodeURIComponent(u.search.slice(1))}` : "";
  const path = `${u.host}${u.pathname}${query}.body`;
  if (path.split("/").some((seg) => seg === ".." || seg === ".")) throw new Error(`refusing mirror path for ${url}`);
  return path;
}

/** Where a mirror directory records that upstream answers `url` with 400 (the file holds the body): Fabric meta's "unknown version". */
export function mirrorRefusalPath(url: string): string {
  return mirrorPath(url).replace(/\.body$/, ".400");
}
