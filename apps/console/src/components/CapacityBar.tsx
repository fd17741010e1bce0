/** How much of one of a host's resources its servers hold. */
export function CapacityBar({ label, used, total, unit }: { label: string; used: number; total: number; unit: string }) {
  return (
    <div class="capacity">
      <span class="capacity-label">{label}</span>
      <meter min={0} max={Math.max(total, 1)} value={used} low={total * 0.7} high={total * 0.9} optimum={0} />
      <span class="capacity-figures">
        {used}/{total} {unit}
      </span>
    </div>
  );
}
