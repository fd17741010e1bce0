/**
 * docs/configuration.md's generated part: one table per process, rendered from the tables the processes' config
 * parsing reads (CONTROL_PLANE_ENV, AGENT_ENV), between markers; the text around the markers is written by hand.
 * `pnpm docs:config` rewrites the file; test/docs/configuration.test.ts fails when it is out of date.
 */
import { AGENT_ENV } from "../../apps/agent/src/configVars";
import { CONTROL_PLANE_ENV } from "../../apps/control-plane/src/configVars";
import { envDefaultText, envTypeText, type EnvTable } from "@zlh/domain";

export const CONFIGURATION_DOC = new URL("../../docs/configuration.md", import.meta.url);

const SECTIONS: { name: string; source: string; table: EnvTable }[] = [
  { name: "control-plane", source: "apps/control-plane/src/configVars.ts", table: CONTROL_PLANE_ENV },
  { name: "agent", source: "apps/agent/src/configVars.ts", table: AGENT_ENV },
];

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function renderEnvTable(table: EnvTable): string {
  const rows = Object.entries(table).map(
    ([name, spec]) => `| \`${name}\` | ${cell(envTypeText(spec))} | ${cell(envDefaultText(spec))} | ${cell(spec.description)} |`,
  );
  return ["| variable | type | default | meaning |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

/** `doc` with every generated section replaced by its table as the code has it now; throws on a missing marker. */
export function renderConfigurationDoc(doc: string): string {
  let out = doc;
  for (const { name, source, table } of SECTIONS) {
    const begin = `<!-- BEGIN GENERATED ${name}: pnpm docs:config renders this from ${source}; edit that, not this -->`;
    const end = `<!-- END GENERATED ${name} -->`;
    const from = out.indexOf(begin);
    const to = out.indexOf(end);
    if (from < 0 || to < from) throw new Error(`docs/configuration.md has lost its markers for ${name}: ${begin} ... ${end}`);
    out = `${out.slice(0, from + begin.length)}\n\n${renderEnvTable(table)}\n\n${out.slice(to)}`;
  }
  return out;
}
