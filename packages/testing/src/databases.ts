import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { migrateDatabase } from "@zlh/db";

/** `url` with its database name replaced. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString("hex")}`;
}

async function admin<T>(adminUrl: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Creates a database and applies every migration to it; returns its URL. */
export async function createMigratedDatabase(adminUrl: string, name: string): Promise<string> {
  await admin(adminUrl, (sql) => sql.unsafe(`create database "${name}"`));
  const url = withDatabase(adminUrl, name);
  await migrateDatabase(url);
  return url;
}

/**
 * A fresh database cloned from the migrated template: a file-system copy,
 * much faster than migrating each test file's database from scratch.
 */
export async function cloneDatabase(adminUrl: string, template: string, name: string): Promise<string> {
  await admin(adminUrl, (sql) => sql.unsafe(`create database "${name}" template "${template}"`));
  return withDatabase(adminUrl, name);
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await admin(adminUrl, (sql) => sql.unsafe(`drop database if exists "${name}" with (force)`));
}
