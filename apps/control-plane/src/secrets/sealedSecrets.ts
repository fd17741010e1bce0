import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/**
 * Per-server secrets at rest: AES-256-GCM under ZLH_SECRETS_KEY, stored as
 * `v2.<key id>.<iv>.<tag>.<ciphertext>` (base64url). The clear value exists only in
 * memory and in the lease sent to the host's own agent over its socket.
 *
 * The key id (a fingerprint of the key, never the key) says which key sealed a value, so
 * during a rotation (ZLH_SECRETS_KEY_PREVIOUS) each value is opened with its own key and
 * the re-seal run (resealSecrets.ts) can find what is not yet under the current one.
 * Values from before key ids (`v1.<iv>.<tag>.<ciphertext>`) are tried with every key:
 * GCM's tag refuses a wrong one.
 */
export interface SecretsKey {
  id: string;
  key: Buffer;
}

/** The key that seals, and the keys that still open values sealed before a rotation. */
export interface SecretsKeyring {
  current: SecretsKey;
  previous: readonly SecretsKey[];
}

export function secretsKey(key: Buffer): SecretsKey {
  const id = createHash("sha256").update("zlh-secrets-key-id\0").update(key).digest("base64url").slice(0, 8);
  return { id, key };
}

export function seal(keys: SecretsKeyring, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keys.current.key, iv);
  const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v2", keys.current.id, ...[iv, cipher.getAuthTag(), data].map((p) => p.toString("base64url"))].join(".");
}

/** Whether `sealed` is under the keyring's current key (nothing left to re-seal). */
export function sealedWithCurrent(keys: SecretsKeyring, sealed: string): boolean {
  return sealed.startsWith(`v2.${keys.current.id}.`);
}

export function unseal(keys: SecretsKeyring, sealed: string): string {
  const parts = sealed.split(".");
  const all = [keys.current, ...keys.previous];
  if (parts[0] === "v2" && parts.length === 5) {
    const [, id, iv, tag, data] = parts as [string, string, string, string, string];
    const key = all.find((k) => k.id === id);
    if (!key) throw new Error(`sealed with key ${id}, which is neither ZLH_SECRETS_KEY nor in ZLH_SECRETS_KEY_PREVIOUS`);
    return open(key.key, iv, tag, data);
  }
  if (parts[0] === "v1" && parts.length === 4) {
    const [, iv, tag, data] = parts as [string, string, string, string];
    for (const key of all) {
      try {
        return open(key.key, iv, tag, data);
      } catch {
        // The tag did not verify: another key sealed it.
      }
    }
    throw new Error("sealed before key ids by a key that is neither ZLH_SECRETS_KEY nor in ZLH_SECRETS_KEY_PREVIOUS");
  }
  throw new Error("not a sealed secret");
}

function open(key: Buffer, iv: string, tag: string, data: string): string {
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8");
}

export function newRconPassword(): string {
  return randomBytes(18).toString("base64url");
}
