/** A server's status as a coloured word; `data-status` is what tests and styles read. */
export function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`status status-${status}`} data-status={status}>
      {status}
    </span>
  );
}
