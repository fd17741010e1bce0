import type { ChangeServerBody } from "@zlh/api";
import { InvalidRequestError } from "@zlh/domain";

type Mod = { project: string; version?: string; allowPrerelease?: boolean };
type ModsField = NonNullable<ChangeServerBody["mods"]>;

/**
 * The server's mods after a PATCH's `mods`: a list replaces them; `{ add,
 * remove }` takes out the removed projects, then adds (an added project
 * already there is replaced in place, e.g. to pin another version). Refused
 * (400, nothing written): removing a project the server does not have, the
 * same project twice or both added and removed, more than 100 mods in all.
 */
export function editMods(current: Mod[], field: ModsField): Mod[] {
  if (Array.isArray(field)) return field;
  const add = field.add ?? [];
  const remove = field.remove ?? [];
  const added = new Set(add.map((m) => m.project));
  if (added.size !== add.length) throw new InvalidRequestError("mods.add names the same project twice.");
  if (new Set(remove).size !== remove.length) throw new InvalidRequestError("mods.remove names the same project twice.");
  const both = remove.find((p) => added.has(p));
  if (both) throw new InvalidRequestError(`mods: ${both} is both added and removed.`);
  const missing = remove.find((p) => !current.some((m) => m.project === p));
  if (missing) throw new InvalidRequestError(`mods.remove: ${missing} is not one of the server's mods.`);
  const kept = current.filter((m) => !remove.includes(m.project)).map((m) => add.find((a) => a.project === m.project) ?? m);
  const next = [...kept, ...add.filter((a) => !kept.some((m) => m.project === a.project))];
  if (next.length > 100) throw new InvalidRequestError(`mods: a server has at most 100 mods; this edit leaves ${next.length}.`);
  return next;
}
