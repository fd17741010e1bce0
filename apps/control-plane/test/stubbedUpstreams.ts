import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll } from "vitest";
import { connectDatabase, type Db, type Database } from "@zlh/db";
import { testDatabase } from "@zlh/testing";

/**
 * For the describe block it is called in: msw answering every upstream
 * request (one no handler takes fails the test; each test's handlers are
 * reset after it) and a database of the file's own, closed at the end.
 */
export function stubbedUpstreams() {
  const server = setupServer();
  let database: Database;
  beforeAll(async () => {
    server.listen({ onUnhandledRequest: "error" });
    database = connectDatabase(await testDatabase(), { max: 2 });
  });
  afterEach(() => server.resetHandlers());
  afterAll(async () => {
    server.close();
    await database.close();
  });
  return { server, db: (): Db => database.db };
}
