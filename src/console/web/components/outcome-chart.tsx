/** Outcomes per time bucket as stacked bars (SVG attributes and CSS classes: no inline styles). */
const ORDER = ['SUCCEEDED', 'FAILED', 'RETRY_SCHEDULED', 'QUEUED', 'SKIPPED', 'COALESCED'];

export function OutcomeChart({
  buckets,
  minutes,
  bucketMinutes,
  now,
  label,
}: {
  buckets: readonly { start: string; outcome: string; count: number }[];
  minutes: number;
  bucketMinutes: number;
  now: number;
  label: string;
}) {
  const step = bucketMinutes * 60_000;
  const count = Math.ceil(minutes / bucketMinutes) + 1;
  const first = Math.floor((now - minutes * 60_000) / step) * step;
  const slots = Array.from({ length: count }, (_, index) => ({ start: first + index * step, byOutcome: new Map<string, number>() }));
  const totals = new Map<string, number>();
  for (const bucket of buckets) {
    const index = Math.round((new Date(bucket.start).getTime() - first) / step);
    if (index < 0 || index >= count) continue;
    slots[index].byOutcome.set(bucket.outcome, (slots[index].byOutcome.get(bucket.outcome) ?? 0) + bucket.count);
    totals.set(bucket.outcome, (totals.get(bucket.outcome) ?? 0) + bucket.count);
  }
  const highest = Math.max(1, ...slots.map((slot) => [...slot.byOutcome.values()].reduce((a, b) => a + b, 0)));
  const width = 240;
  const height = 48;
  const barWidth = width / count;
  const summary = ORDER.filter((outcome) => totals.get(outcome)).map((outcome) => `${totals.get(outcome)} ${outcome.toLowerCase().replace(/_/g, ' ')}`);
  const description = `${label}: ${summary.length ? summary.join(', ') : 'no events'} in the last ${minutes} minutes`;
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" height={height} role="img" aria-label={description} preserveAspectRatio="none">
        <title>{description}</title>
        <line x1={0} x2={width} y1={height - 0.5} y2={height - 0.5} className="axis" />
        {slots.map((slot, index) => {
          let y = height;
          return ORDER.filter((outcome) => slot.byOutcome.get(outcome)).map((outcome) => {
            const barHeight = (slot.byOutcome.get(outcome)! / highest) * (height - 2);
            y -= barHeight;
            return <rect key={`${index}-${outcome}`} x={index * barWidth + 1} y={y} width={Math.max(1, barWidth - 2)} height={barHeight} className={`bar ${outcome}`} />;
          });
        })}
      </svg>
      <figcaption className="muted">{summary.length ? summary.join(' · ') : 'No events'} · last {minutes} min</figcaption>
    </figure>
  );
}
