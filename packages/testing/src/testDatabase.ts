import { afterAll, inject } from "vitest";
import { cloneDatabase, dropDatabase, uniqueName } from "./databases";

/** This test file's own database, cloned from the migrated template and dropped after the file. */
export async function testDatabase(): Promise<string> {
  const adminUrl = inject("pgAdminUrl");
  const name = uniqueName("zlh_t");
  const url = await cloneDatabase(adminUrl, inject("pgTemplate"), name);
  afterAll(() => dropDatabase(adminUrl, name));
  return url;
}
