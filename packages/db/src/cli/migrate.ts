/** `pnpm db:migrate`: applies every migration to DATABASE_URL and exits. */
import { migrateDatabase } from "../migrate";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL is not set: it must name the database to migrate.");
  process.exit(2);
}
await migrateDatabase(url);
console.log("migrated");
