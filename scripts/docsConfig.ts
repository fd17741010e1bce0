/** `pnpm docs:config`: rewrites docs/configuration.md's generated tables from the processes' config tables. */
import { readFileSync, writeFileSync } from "node:fs";
import { CONFIGURATION_DOC, renderConfigurationDoc } from "./docs/configDocs";

const before = readFileSync(CONFIGURATION_DOC, "utf8");
const after = renderConfigurationDoc(before);
if (after === before) {
  console.log("docs/configuration.md is up to date");
} else {
  writeFileSync(CONFIGURATION_DOC, after);
  console.log("docs/configuration.md rewritten from apps/control-plane/src/configVars.ts and apps/agent/src/configVars.ts");
}
