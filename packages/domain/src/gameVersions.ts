/**
 * Orders Minecraft version ids, for refusing a downgrade (a world cannot be
 * opened safely by an older game). Releases `1.21.1`, the 2026 scheme `26.1`
 * / `26.1.2`, and their pre-releases and release candidates (`1.21-pre1`,
 * `1.21-rc1`, `26.1-snapshot-3`: before the release they lead to). Returns
 * null for ids it cannot place (weekly snapshots such as `24w14a`), which a
 * caller must treat as "cannot tell".
 */
export function compareGameVersions(a: string, b: string): number | null {
  const pa = parse(a);
  const pb = parse(b);
  if (!pa || !pb) return null;
  for (let i = 0; i < 3; i++) {
    const d = (pa.parts[i] ?? 0) - (pb.parts[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return Math.sign(pa.stage - pb.stage) || Math.sign(pa.n - pb.n);
}

const STAGES: Record<string, number> = { snapshot: 0, pre: 1, rc: 2 };

function parse(id: string): { parts: number[]; stage: number; n: number } | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:-(snapshot|pre|rc)-?(\d+))?$/.exec(id);
  if (!m) return null;
  return { parts: [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)], stage: m[4] ? STAGES[m[4]]! : 3, n: Number(m[5] ?? 0) };
}
