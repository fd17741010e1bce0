import { createHash } from "node:crypto";

export const sha512Hex = (bytes: Uint8Array) => createHash("sha512").update(bytes).digest("hex");
export const sha1Hex = (bytes: Uint8Array) => createHash("sha1").update(bytes).digest("hex");
