import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema";

export type Db = PostgresJsDatabase<typeof schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
/** A function that takes `DbOrTx` joins the caller's transaction when given one. */
export type DbOrTx = Db | Tx;

export interface Database {
  readonly db: Db;
  readonly sql: postgres.Sql;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Pool size; postgres.js opens connections lazily up to this many. */
  max?: number;
  /** Name shown in pg_stat_activity, to tell processes apart. */
  applicationName?: string;
  /** Server-side bound on any one statement, so no request or agent session can stall forever on a lost lock or connection. */
  statementTimeoutMs?: number;
}

export function connectDatabase(url: string, options: DatabaseOptions = {}): Database {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connection: {
      application_name: options.applicationName ?? "zlh",
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    },
  });
  const db = drizzle(sql, { schema });
  return {
    db,
    sql,
    close: () => sql.end({ timeout: 5 }),
  };
}
