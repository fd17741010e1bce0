import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { CliError, EXIT } from "./exitCodes";

/** What the global flags carry (see program.ts). The token has no flag: a command line is visible to every user in ps. */
export interface ConfigFlags {
  url?: string;
  tokenFile?: string;
  ca?: string;
  profile?: string;
  config?: string;
}

interface Profile {
  url?: string;
  token?: string;
  tokenFile?: string;
  ca?: string;
}

interface ConfigFile {
  defaultProfile?: string;
  profiles?: Record<string, Profile>;
}

export interface Resolved {
  url: string;
  token: string | null;
  /** The PEM of a private CA to trust besides the system's (and NODE_EXTRA_CA_CERTS). */
  ca: string | null;
  profile: string | null;
  configFile: string;
  /** Where each setting came from ("flag --url", "env ZLH_URL", "profile prod"), for `zlh config`. */
  sources: { url: string; token: string | null; ca: string | null };
}

type Env = Record<string, string | undefined>;

export function configPath(flags: ConfigFlags, env: Env): string {
  if (flags.config) return flags.config;
  if (env.ZLH_CONFIG) return env.ZLH_CONFIG;
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith("/") ? env.XDG_CONFIG_HOME : join(env.HOME ?? homedir(), ".config");
  return join(base, "zlh", "config.json");
}

function readConfigFile(path: string, warn: (line: string) => void): ConfigFile | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new CliError(`cannot read the configuration file ${path}: ${(err as Error).message}`, EXIT.usage);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CliError(`the configuration file ${path} is not JSON: ${(err as Error).message}`, EXIT.usage);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new CliError(`the configuration file ${path} must hold an object`, EXIT.usage);
  const file = parsed as ConfigFile;
  const holdsToken = Object.values(file.profiles ?? {}).some((p) => typeof p?.token === "string");
  if (holdsToken && (statSync(path).mode & 0o077) !== 0) warn(`warning: ${path} holds a token and is readable by others (chmod 600 it)`);
  return file;
}

function readSecretFile(path: string, what: string): string {
  try {
    const value = readFileSync(path, "utf8").trim();
    if (value === "") throw new CliError(`${what} ${path} is empty`, EXIT.usage);
    return value;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot read ${what} ${path}: ${(err as Error).message}`, EXIT.usage);
  }
}

/**
 * Each setting from the first place that has it: a flag, then the environment (ZLH_URL, ZLH_TOKEN, ZLH_TOKEN_FILE,
 * ZLH_CA), then the profile (--profile, ZLH_PROFILE, the file's defaultProfile, or "default").
 */
export function resolveConfig(flags: ConfigFlags, env: Env, warn: (line: string) => void): Resolved {
  const configFile = configPath(flags, env);
  const file = readConfigFile(configFile, warn);
  const asked = flags.profile ?? env.ZLH_PROFILE;
  const name = asked ?? file?.defaultProfile ?? "default";
  const profile = file?.profiles?.[name];
  if (asked !== undefined && !profile) throw new CliError(`no profile "${asked}" in ${configFile}`, EXIT.usage);
  if (profile !== undefined && (typeof profile !== "object" || profile === null)) throw new CliError(`profile "${name}" in ${configFile} must be an object`, EXIT.usage);
  const from = `profile ${name} (${configFile})`;

  const urlPick: [string | undefined, string][] = [
    [flags.url, "flag --url"],
    [env.ZLH_URL, "env ZLH_URL"],
    [profile?.url, from],
  ];
  const url = urlPick.find(([v]) => v);
  if (!url) throw new CliError(`no control plane URL: pass --url, set ZLH_URL, or add a profile to ${configFile}`, EXIT.usage);
  let parsed: URL;
  try {
    parsed = new URL(url[0]!);
  } catch {
    throw new CliError(`the control plane URL (${url[1]}) is not a URL`, EXIT.usage);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new CliError(`the control plane URL (${url[1]}) must be http or https`, EXIT.usage);

  let token: [string, string] | null = null;
  if (flags.tokenFile) token = [readSecretFile(flags.tokenFile, "the token file"), "flag --token-file"];
  else if (env.ZLH_TOKEN) token = [env.ZLH_TOKEN, "env ZLH_TOKEN"];
  else if (env.ZLH_TOKEN_FILE) token = [readSecretFile(env.ZLH_TOKEN_FILE, "the token file"), "env ZLH_TOKEN_FILE"];
  else if (profile?.token) token = [profile.token, from];
  else if (profile?.tokenFile) token = [readSecretFile(profile.tokenFile, "the token file"), from];

  const caPick: [string | undefined, string][] = [
    [flags.ca, "flag --ca"],
    [env.ZLH_CA, "env ZLH_CA"],
    [profile?.ca, from],
  ];
  const ca = caPick.find(([v]) => v);
  return {
    url: parsed.toString().replace(/\/+$/, ""),
    token: token?.[0] ?? null,
    ca: ca ? readSecretFile(ca[0]!, "the CA file") : null,
    profile: profile ? name : null,
    configFile,
    sources: { url: url[1], token: token?.[1] ?? null, ca: ca ? `${ca[1]}: ${ca[0]}` : null },
  };
}
