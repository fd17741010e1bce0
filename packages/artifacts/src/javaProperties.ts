/**
 * java.util.Properties, as far as the launchers' files use it
 * (install.properties, quilt-server-launcher.properties): `key=value` (or
 * `key: value`) lines, `#`/`!` comments.
 */
export function parseJavaProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r\n|\r|\n/)) {
    const line = raw.trimStart();
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}
