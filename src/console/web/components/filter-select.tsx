/** A labelled choice of a filter form; `all`, when given, is the choice that filters nothing (''). */
export function FilterSelect({
  label,
  value,
  onChange,
  options,
  all,
}: {
  label: string;
  value: string;
  onChange(value: string): void;
  options: readonly { value: string; label: string }[];
  all?: string;
}) {
  return (
    <label>
      {label}
      <select value={value} onChange={(event) => onChange(event.target.value)}>
        {all === undefined ? null : <option value="">{all}</option>}
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Choices of an enum, as the console words them (RETRY_SCHEDULED: "retry scheduled"). */
export const enumOptions = (values: readonly string[]) => values.map((value) => ({ value, label: value.replace(/_/g, ' ').toLowerCase() }));

/** Choices of records by name (targets). */
export const nameOptions = (records: readonly { id: string; name: string }[]) => records.map((record) => ({ value: record.id, label: record.name }));
