export interface BarSeries<K extends string> {
  key: K;
  label: string;
  /** A CSS class that sets the bar's fill (see styles.css: .chart-*). */
  className: string;
}

export interface StackedBarsProps<K extends string> {
  series: readonly BarSeries<K>[];
  points: readonly ({ label: string } & Record<K, number>)[];
  /** What a screen reader hears instead of the picture; the numbers are also in a table. */
  summary: string;
  /** Show every n-th x label, to keep them readable. */
  labelEvery?: number;
  height?: number;
}

/**
 * A stacked bar chart drawn as SVG: one bar per point, one coloured segment per series. No
 * chart library: the app's needs are one picture type, and the CSP forbids inline scripts.
 */
export function StackedBars<K extends string>({ series, points, summary, labelEvery = 1, height = 180 }: StackedBarsProps<K>) {
  const width = Math.max(320, points.length * 12);
  const top = 8;
  const bottom = 22;
  const left = 32;
  const plot = height - top - bottom;
  const max = Math.max(1, ...points.map((p) => series.reduce((sum, s) => sum + p[s.key], 0)));
  const step = (width - left) / Math.max(1, points.length);
  const barWidth = Math.max(2, step * 0.7);
  const ticks = [0, Math.ceil(max / 2), max];
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary} preserveAspectRatio="none">
        <title>{summary}</title>
        {ticks.map((tick) => {
          const y = top + plot - (tick / max) * plot;
          return (
            <g key={tick}>
              <line x1={left} x2={width} y1={y} y2={y} className="chart-grid" />
              <text x={left - 4} y={y + 4} textAnchor="end" className="chart-axis">
                {tick}
              </text>
            </g>
          );
        })}
        {points.map((point, i) => {
          let y = top + plot;
          const x = left + i * step + (step - barWidth) / 2;
          return (
            <g key={`${point.label}:${i}`}>
              {series.map((s) => {
                const h = (point[s.key] / max) * plot;
                y -= h;
                return h > 0 ? <rect key={s.key} x={x} y={y} width={barWidth} height={h} className={s.className} /> : null;
              })}
              {i % labelEvery === 0 && (
                <text x={x + barWidth / 2} y={height - 6} textAnchor="middle" className="chart-axis">
                  {point.label}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption className="chart-legend">
        {series.map((s) => (
          <span key={s.key}>
            <span className={`chart-swatch ${s.className}`} aria-hidden="true" /> {s.label}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
