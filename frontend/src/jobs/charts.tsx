/**
 * Small SVG charts for the results views (no chart library: a few hundred bytes each):
 * bars (histograms, top values), a line with an operating point (ROC, precision-recall) and a
 * scatter (residuals). Each scales its data into a fixed viewBox and stretches to its container.
 */
import type { ReactNode } from 'react';

const W = 320;
const H = 200;
const PAD = { left: 38, right: 10, top: 10, bottom: 30 };

function scale(domain: [number, number], range: [number, number]) {
  const [d0, d1] = domain;
  const span = d1 - d0 || 1;
  return (v: number) => range[0] + ((v - d0) / span) * (range[1] - range[0]);
}

export function shortNumber(value: number): string {
  if (!Number.isFinite(value)) return '';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e5 || abs < 1e-3)) return value.toExponential(1);
  return Number(value.toPrecision(3)).toString();
}

function Frame({
  label,
  xLabel,
  yLabel,
  xTicks,
  yTicks,
  children,
  className,
}: {
  label: string;
  xLabel?: string;
  yLabel?: string;
  xTicks: { at: number; text: string }[];
  yTicks: { at: number; text: string }[];
  children: ReactNode;
  className?: string;
}) {
  return (
    <svg
      className={`chart ${className ?? ''}`}
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label={label}
      preserveAspectRatio="xMidYMid meet"
    >
      <line
        className="chart__axis"
        x1={PAD.left}
        y1={H - PAD.bottom}
        x2={W - PAD.right}
        y2={H - PAD.bottom}
      />
      <line className="chart__axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} />
      {xTicks.map((t, i) => (
        <text
          key={`x${i}`}
          className="chart__tick"
          x={t.at}
          y={H - PAD.bottom + 12}
          textAnchor="middle"
        >
          {t.text}
        </text>
      ))}
      {yTicks.map((t, i) => (
        <text key={`y${i}`} className="chart__tick" x={PAD.left - 4} y={t.at + 3} textAnchor="end">
          {t.text}
        </text>
      ))}
      {xLabel ? (
        <text
          className="chart__label"
          x={(PAD.left + W - PAD.right) / 2}
          y={H - 3}
          textAnchor="middle"
        >
          {xLabel}
        </text>
      ) : null}
      {yLabel ? (
        <text
          className="chart__label"
          transform={`translate(10 ${(PAD.top + H - PAD.bottom) / 2}) rotate(-90)`}
          textAnchor="middle"
        >
          {yLabel}
        </text>
      ) : null}
      {children}
    </svg>
  );
}

/** Vertical bars; `labels` under them (histogram edges or category names). */
export function BarChart({
  label,
  counts,
  labels,
  xLabel,
  highlight,
}: {
  label: string;
  counts: number[];
  labels: string[];
  xLabel?: string;
  highlight?: number;
}) {
  const top = Math.max(1, ...counts);
  const y = scale([0, top], [H - PAD.bottom, PAD.top]);
  const width = (W - PAD.left - PAD.right) / Math.max(1, counts.length);
  const every = Math.max(1, Math.ceil(counts.length / 6));
  return (
    <Frame
      label={label}
      xLabel={xLabel}
      xTicks={labels
        .map((text, i) => ({
          at: PAD.left + width * (i + 0.5),
          text: text.length > 9 ? `${text.slice(0, 8)}…` : text,
        }))
        .filter((_, i) => i % every === 0)}
      yTicks={[0, top].map((v) => ({ at: y(v), text: shortNumber(v) }))}
    >
      {counts.map((count, i) => (
        <rect
          key={i}
          className={`chart__bar${i === highlight ? ' chart__bar--on' : ''}`}
          x={PAD.left + width * i + 1}
          y={y(count)}
          width={Math.max(1, width - 2)}
          height={H - PAD.bottom - y(count)}
        >
          <title>{`${labels[i] ?? ''}: ${count}`}</title>
        </rect>
      ))}
    </Frame>
  );
}

const UNIT_TICKS = [0, 0.5, 1];

/** A curve in the unit square (ROC, precision-recall) with the operating point marked. */
export function CurveChart({
  label,
  points,
  point,
  xLabel,
  yLabel,
  diagonal,
}: {
  label: string;
  points: [number, number][];
  point?: [number, number];
  xLabel: string;
  yLabel: string;
  diagonal?: boolean;
}) {
  const x = scale([0, 1], [PAD.left, W - PAD.right]);
  const y = scale([0, 1], [H - PAD.bottom, PAD.top]);
  const path = points
    .map(([a, b], i) => `${i ? 'L' : 'M'}${x(a).toFixed(1)},${y(b).toFixed(1)}`)
    .join('');
  return (
    <Frame
      label={label}
      xLabel={xLabel}
      yLabel={yLabel}
      xTicks={UNIT_TICKS.map((v) => ({ at: x(v), text: String(v) }))}
      yTicks={UNIT_TICKS.map((v) => ({ at: y(v), text: String(v) }))}
    >
      {diagonal ? <line className="chart__guide" x1={x(0)} y1={y(0)} x2={x(1)} y2={y(1)} /> : null}
      <path className="chart__line" d={path} />
      {point ? (
        <circle
          className="chart__point"
          cx={x(point[0])}
          cy={y(point[1])}
          r={5}
          data-testid="operating-point"
        />
      ) : null}
    </Frame>
  );
}

/** Points (x, y) with a dashed line at y = 0 (residuals against predictions). */
export function ScatterChart({
  label,
  xs,
  ys,
  xLabel,
  yLabel,
}: {
  label: string;
  xs: number[];
  ys: number[];
  xLabel: string;
  yLabel: string;
}) {
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const yAbs = Math.max(1e-9, ...ys.map(Math.abs));
  const x = scale([xMin, xMax], [PAD.left + 4, W - PAD.right - 4]);
  const y = scale([-yAbs, yAbs], [H - PAD.bottom - 4, PAD.top + 4]);
  return (
    <Frame
      label={label}
      xLabel={xLabel}
      yLabel={yLabel}
      xTicks={[xMin, (xMin + xMax) / 2, xMax].map((v) => ({ at: x(v), text: shortNumber(v) }))}
      yTicks={[-yAbs, 0, yAbs].map((v) => ({ at: y(v), text: shortNumber(v) }))}
    >
      <line className="chart__guide" x1={PAD.left} y1={y(0)} x2={W - PAD.right} y2={y(0)} />
      {xs.slice(0, 5000).map((v, i) => (
        <circle key={i} className="chart__dot" cx={x(v)} cy={y(ys[i]!)} r={2.5} />
      ))}
    </Frame>
  );
}
