/**
 * A server's name on the edge: a DNS label made from a template, under the
 * platform's zone (`mc-fabric-5013.play.example.com`). The template is checked
 * once, at start, so that a bad one stops the control plane instead of
 * producing names a DNS server refuses.
 *
 * Placeholders: `{vmid}` (the server's VMID: unique per host, and so the
 * default's uniqueness), `{type}` (the server type, `fabric`), `{id8}` (the
 * first 8 hex digits of the server's id: unique across hosts). Everything
 * else is literal and must be lowercase letters, digits or `-`.
 */
export const DEFAULT_NAME_TEMPLATE = "mc-{type}-{vmid}";

const PLACEHOLDERS = ["vmid", "type", "id8"] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];

export interface NameInputs {
  vmid: number;
  type: string;
  serverId: string;
}

/** Why a template or zone is refused; the caller names the variable. */
export class NamingError extends Error {}

export interface NameTemplate {
  readonly source: string;
  /** The label for a server (one DNS label, lowercase). */
  label(s: NameInputs): string;
  /** Whether a label has the template's shape (a name the platform could have made: an unowned one is edge drift). */
  matches(label: string): boolean;
}

const LITERAL = /^[a-z0-9-]*$/;

export function parseNameTemplate(source: string): NameTemplate {
  const parts: ({ literal: string } | { placeholder: Placeholder })[] = [];
  const re = /\{([^}]*)\}/g;
  let at = 0;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    parts.push({ literal: source.slice(at, m.index) });
    const name = m[1] as Placeholder;
    if (!PLACEHOLDERS.includes(name)) throw new NamingError(`has an unknown placeholder {${m[1]}}; the known ones are ${PLACEHOLDERS.map((p) => `{${p}}`).join(", ")}.`);
    parts.push({ placeholder: name });
    at = m.index + m[0].length;
  }
  parts.push({ literal: source.slice(at) });
  for (const p of parts) {
    if ("literal" in p && (!LITERAL.test(p.literal) || p.literal.includes("{") || p.literal.includes("}"))) {
      throw new NamingError(`may hold only lowercase letters, digits, '-' and placeholders (one DNS label, no dots); ${JSON.stringify(p.literal)} is not.`);
    }
  }
  // Unique names need a unique part: the VMID (unique per host) or the id.
  if (!parts.some((p) => "placeholder" in p && (p.placeholder === "vmid" || p.placeholder === "id8"))) {
    throw new NamingError("must contain {vmid} or {id8}, or two servers would get the same name.");
  }
  const render = (s: NameInputs) =>
    parts.map((p) => ("literal" in p ? p.literal : p.placeholder === "vmid" ? String(s.vmid) : p.placeholder === "type" ? s.type : s.serverId.slice(0, 8).toLowerCase())).join("");
  // The longest a label can get: the template with a 9-digit VMID and the longest type.
  const longest = render({ vmid: 999_999_999, type: "neoforge", serverId: "ffffffff" });
  if (longest.length > 63) throw new NamingError(`makes labels of up to ${longest.length} characters; a DNS label holds 63.`);
  if (longest.startsWith("-") || longest.endsWith("-")) throw new NamingError("makes labels that start or end with '-', which DNS does not allow.");
  const shape = new RegExp(`^${parts.map((p) => ("literal" in p ? p.literal : p.placeholder === "vmid" ? "[0-9]+" : p.placeholder === "type" ? "[a-z0-9]+" : "[0-9a-f]{8}")).join("")}$`);
  return {
    source,
    matches: (label) => shape.test(label),
    label(s) {
      const label = render(s);
      if (!isLabel(label)) throw new NamingError(`made ${JSON.stringify(label)}, which is not a DNS label.`);
      return label;
    },
  };
}

function isLabel(s: string): boolean {
  return /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(s);
}

/** A zone name as written in the configuration (`play.example.com`, a trailing dot allowed), lowercased, without the dot. */
export function parseZone(source: string): string {
  const zone = source.trim().toLowerCase().replace(/\.$/, "");
  const labels = zone.split(".");
  if (labels.length < 2 || !labels.every(isLabel)) throw new NamingError("must be a DNS zone of two labels or more, such as play.example.com.");
  if (zone.length > 253 - 64) throw new NamingError("is too long to hold a server's name under it (a name holds 253 characters).");
  return zone;
}
