/**
 * META-INF/MANIFEST.MF as java.util.jar.Manifest writes and reads it: one
 * `Name: value` per line, CRLF line ends, lines cut at 72 bytes with the rest
 * on continuation lines that start with one space, `Manifest-Version` first,
 * and a blank line closing the main section.
 */
export function renderJavaManifest(attributes: readonly (readonly [string, string])[]): string {
  const lines = [["Manifest-Version", "1.0"] as const, ...attributes.filter(([k]) => k !== "Manifest-Version")].map(([k, v]) => {
    const line = `${k}: ${v}`;
    if (!/^[\x20-\x7e]*$/.test(line)) throw new Error(`manifest attribute ${k} must be printable ASCII`);
    const chunks = [line.slice(0, 72)];
    for (let i = 72; i < line.length; i += 71) chunks.push(` ${line.slice(i, i + 71)}`);
    return chunks.join("\r\n");
  });
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** The main section's attributes (continuation lines joined), as a Java reader sees them. */
export function parseJavaManifest(text: string): Map<string, string> {
  const attributes = new Map<string, string>();
  let last: string | null = null;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === "") break; // end of the main section
    if (line.startsWith(" ") && last !== null) {
      attributes.set(last, attributes.get(last)! + line.slice(1));
      continue;
    }
    const colon = line.indexOf(": ");
    if (colon <= 0) continue;
    last = line.slice(0, colon);
    attributes.set(last, line.slice(colon + 2));
  }
  return attributes;
}

/**
 * A Class-Path entry is a relative URL: `%XX` decoded. A malformed escape
 * (a launch jar is the customer's to change) is left as it is, an entry that
 * then names no file, rather than an exception.
 */
export function decodeClassPathEntry(entry: string): string {
  try {
    return decodeURIComponent(entry);
  } catch {
    return entry;
  }
}
