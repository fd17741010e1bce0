/**
 * A process's environment variables as one table: each variable's type, default and description, once. The
 * process's loadConfig reads every variable through `envReader(env, table)`, which takes defaults and bounds from the
 * table, and docs/configuration.md is generated from the same table (`pnpm docs:config`), so what the docs say and
 * what the code does cannot drift apart.
 */
import { intVar, oneOfVar, requiredVar, type Env } from "./env";
import { ConfigError } from "./errors";
import { parseRange, type IntRange } from "./ranges";

export type EnvVarSpec =
  /** A whole number within [min, max]. */
  | { type: "integer"; default: number; min: number; max: number; description: string }
  /** One of `values`. */
  | { type: "choice"; default: string; values: readonly string[]; description: string }
  /** `first-last`, both within [min, max]. */
  | { type: "range"; default: string; min: number; max: number; description: string }
  /**
   * Free text, checked by the process's own code. `default` is what an unset variable means; `shownDefault` is
   * how the docs say it when the code derives it (from another variable, or "unset"). `format` names its shape.
   */
  | { type: "text"; required?: true; default?: string; shownDefault?: string; format?: string; description: string };

export type EnvTable = Readonly<Record<string, EnvVarSpec>>;

type Spec<T extends EnvTable, K extends keyof T, S> = T[K] extends S ? K : never;
type NamesOf<T extends EnvTable, S> = { [K in keyof T]: Spec<T, K, S> }[keyof T] & string;
type ChoiceOf<T extends EnvTable, K extends keyof T> = T[K] extends { values: readonly (infer V)[] } ? V : never;

/** Reads `env` through `table`: a variable missing from the table cannot be read (it does not typecheck). */
export function envReader<const T extends EnvTable>(env: Env, table: T) {
  const spec = <S extends EnvVarSpec["type"]>(name: string, type: S) => {
    const s = table[name];
    if (!s || s.type !== type) throw new Error(`${name} is not a ${type} variable of this process's table`);
    return s as Extract<EnvVarSpec, { type: S }>;
  };
  return {
    /** A required text variable (trimmed); a missing one stops the process. */
    required(name: NamesOf<T, { required: true }>): string {
      spec(name, "text");
      return requiredVar(env, name);
    },
    /** A text variable, trimmed; unset or blank gives the table's `default`, else null. */
    text(name: NamesOf<T, { type: "text" }>): string | null {
      return env[name]?.trim() || spec(name, "text").default || null;
    },
    /** A text variable whose table entry has a `default`. */
    textWithDefault(name: NamesOf<T, { type: "text"; default: string }>): string {
      const value = env[name]?.trim() || spec(name, "text").default;
      if (value === undefined) throw new Error(`${name} has no default in this process's table`);
      return value;
    },
    integer(name: NamesOf<T, { type: "integer" }>): number {
      const s = spec(name, "integer");
      return intVar(env, name, s.default, s.min, s.max);
    },
    choice<K extends NamesOf<T, { type: "choice" }>>(name: K): ChoiceOf<T, K> {
      const s = spec(name, "choice");
      return oneOfVar(env, name, s.default, s.values) as ChoiceOf<T, K>;
    },
    range(name: NamesOf<T, { type: "range" }>): IntRange {
      const s = spec(name, "range");
      const parsed = parseRange(env[name]?.trim() || s.default, s.min, s.max);
      if (typeof parsed === "string") throw new ConfigError(name, `${parsed}.`);
      return parsed;
    },
  };
}

/** How the docs show a variable's type: derived from the spec, so bounds and choices are the parser's own. */
export function envTypeText(spec: EnvVarSpec): string {
  switch (spec.type) {
    case "integer":
      return `integer, ${spec.min} to ${spec.max}`;
    case "choice":
      return `one of ${spec.values.map((v) => `\`${v}\``).join(", ")}`;
    case "range":
      return `\`first-last\`, within ${spec.min}-${spec.max}`;
    case "text":
      return spec.format ?? "text";
  }
}

/** How the docs show a variable's default. */
export function envDefaultText(spec: EnvVarSpec): string {
  if (spec.type === "text") {
    if (spec.required) return "required";
    if (spec.shownDefault !== undefined) return spec.shownDefault;
    return spec.default === undefined ? "unset" : `\`${spec.default}\``;
  }
  return `\`${spec.default}\``;
}
