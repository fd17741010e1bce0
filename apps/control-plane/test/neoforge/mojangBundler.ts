import { createHash } from "node:crypto";
import { storedZip } from "@zlh/artifacts";

const text = (s: string) => new TextEncoder().encode(s);

/** A Mojang server jar as Mojang ships them since 1.18: a bundler holding the game's jar under META-INF/versions/, listed with its sha256. */
export function mojangBundler(game: string): { bundler: Uint8Array; inner: Uint8Array } {
  const inner = storedZip([{ name: "META-INF/MANIFEST.MF", data: text("Manifest-Version: 1.0\r\nMain-Class: net.minecraft.server.Main\r\n\r\n") }, { name: "version.json", data: text(`{"id":"${game}"}`) }]);
  const sha256 = createHash("sha256").update(inner).digest("hex");
  const bundler = storedZip([
    { name: "META-INF/MANIFEST.MF", data: text("Manifest-Version: 1.0\r\nMain-Class: net.minecraft.bundler.Main\r\n\r\n") },
    { name: "META-INF/versions.list", data: text(`${sha256}\t${game}\t${game}/server-${game}.jar\n`) },
    { name: `META-INF/versions/${game}/server-${game}.jar`, data: inner },
  ]);
  return { bundler, inner };
}
