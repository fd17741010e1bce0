import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * Per-server secrets at rest: AES-256-GCM under ZLH_SECRETS_KEY, stored as
 * `v1.<iv>.<tag>.<ciphertext>` (base64url). The clear value exists only in
 * memory and in the lease sent to the host's own agent over its socket.
 */
export function seal(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", iv, cipher.getAuthTag(), data].map((p) => (typeof p === "string" ? p : p.toString("base64url"))).join(".");
}

export function unseal(key: Buffer, sealed: string): string {
  const [v, iv, tag, data] = sealed.split(".");
  if (v !== "v1" || !iv || !tag || !data) throw new Error("not a sealed secret");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8");
}

export function newRconPassword(): string {
  return randomBytes(18).toString("base64url");
}
