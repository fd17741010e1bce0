/**
 * The Java major version a server's game runs on. What the control plane
 * sends (`javaMajor`, from the game's manifest) wins; without it the game
 * version decides, as Mojang's requirements do: Java 17 up to 1.20.4, Java 21
 * from 1.20.5 on, Java 25 for the 26.x line. A version that is not `<major>.<minor>[.<patch>]` (a
 * snapshot such as 24w14a) gets the newest, 21: a newer JVM runs the class
 * files of an older game, an older one refuses a newer game's.
 */
export function javaMajorFor(minecraftVersion: string, declared?: number): number {
  if (declared !== undefined) {
    if (!Number.isInteger(declared) || declared < 8 || declared > 99) throw new Error(`Java ${declared} is not a Java major version`);
    return declared;
  }
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(minecraftVersion);
  if (!m) return 21;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (major >= 26) return 25;
  const upTo1204 = major < 1 || (major === 1 && (minor < 20 || (minor === 20 && patch <= 4)));
  return upTo1204 ? 17 : 21;
}
