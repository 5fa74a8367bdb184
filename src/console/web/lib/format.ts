const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function formatTime(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : timeFormat.format(date);
}

export function personName(person: { primaryName?: { given?: string | null; family?: string | null } | null; id: string }): string {
  const name = [person.primaryName?.given, person.primaryName?.family].filter(Boolean).join(' ');
  return name || person.id;
}
