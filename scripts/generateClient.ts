/**
 * pnpm client:generate: packages/client/src/schema.d.ts from the OpenAPI
 * document this version of the control plane serves (describeApi), with
 * openapi-typescript. The file is committed, so the client needs nothing
 * but itself to build; packages/client/test/schema.test.ts fails when it is
 * stale. `--check` only compares.
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { renderClientSchema } from "../packages/client/test/renderSchema";

const target = fileURLToPath(new URL("../packages/client/src/schema.d.ts", import.meta.url));
const text = await renderClientSchema();
if (process.argv.includes("--check")) {
  const current = await readFile(target, "utf8").catch(() => "");
  if (current !== text) {
    console.error("packages/client/src/schema.d.ts is stale: run pnpm client:generate");
    process.exit(1);
  }
} else {
  await writeFile(target, text);
  console.log(`wrote ${target}`);
}
