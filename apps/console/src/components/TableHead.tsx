/** A table's header row: one column title each ("" for a column of buttons). */
export function TableHead({ columns }: { columns: string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c, i) => (
          <th key={`${i}-${c}`}>{c}</th>
        ))}
      </tr>
    </thead>
  );
}
