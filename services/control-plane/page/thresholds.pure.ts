import type { StatusView, WindowView } from '../../../lib/api/schemas.ts';
import { html, type Html } from './html.pure.ts';
import { when } from './layout.pure.ts';

/**
 * The thresholds beside the current window's figures, and how far each figure is from tripping its threshold (the
 * aggregator's rule, services/signal-aggregator/thresholds.pure.ts: strictly beyond trips, a figure with no data
 * trips nothing).
 */

type Unit = 'rate' | 'score' | 'count' | 'percent' | 'ms';

interface Signal {
  label: string;
  unit: Unit;
  /** The window figure it is compared with, and the direction that trips it; null: no figure of the window is. */
  figure: { key: keyof WindowView; trips: 'above' | 'below'; unit: Unit } | null;
}

const signals: Record<string, Signal> = {
  failureRateAbove: {
    label: 'Failure rate',
    unit: 'rate',
    figure: { key: 'failureRate', trips: 'above', unit: 'rate' },
  },
  meanScoreBelow: { label: 'Mean score', unit: 'score', figure: { key: 'meanScore', trips: 'below', unit: 'score' } },
  guardrailHitRateAbove: {
    label: 'Guardrail-hit rate',
    unit: 'rate',
    figure: { key: 'guardrailHitRate', trips: 'above', unit: 'rate' },
  },
  negativeFeedbackRateAbove: {
    label: 'Negative feedback rate',
    unit: 'rate',
    figure: { key: 'negativeFeedbackRate', trips: 'above', unit: 'rate' },
  },
  costIncreasePercentAbove: { label: 'Cost per run (increase, %)', unit: 'percent', figure: null },
  minRuns: { label: 'Runs in the window (minimum)', unit: 'count', figure: null },
  cooldownMs: { label: 'Cool-down after a session', unit: 'ms', figure: null },
};

export function formatFigure(value: number, unit: Unit): string {
  if (unit === 'rate') return `${(value * 100).toFixed(1)}%`;
  if (unit === 'score') return value.toFixed(3);
  if (unit === 'percent') return `${value}%`;
  if (unit === 'ms') return value % 3_600_000 === 0 ? `${value / 3_600_000} h` : `${value} ms`;
  return String(value);
}

/** A distance in the figure's unit: percentage points for rates. */
function formatDistance(value: number, unit: Unit): string {
  return unit === 'rate' ? `${(value * 100).toFixed(1)} points` : formatFigure(value, unit);
}

export type Standing = 'tripped' | 'clear' | 'too few runs' | 'no data' | 'not compared';

export interface ThresholdRow {
  key: string;
  label: string;
  threshold: string;
  /** The window's figure, formatted; null when there is none to show. */
  current: string | null;
  standing: Standing;
  /** How far from tripping, in words. */
  distance: string;
}

/** One row per threshold, in the policy's order: its figure now, and how far that is from tripping. */
export function thresholdRows(thresholds: StatusView['thresholds'], window: WindowView | null): ThresholdRow[] {
  return Object.entries(thresholds).map(([key, threshold]) => {
    const signal = signals[key] ?? { label: key, unit: 'count', figure: null };
    const row = { key, label: signal.label, threshold: formatFigure(threshold, signal.unit) };
    if (key === 'minRuns' && window) {
      const short = threshold - window.runCount;
      return {
        ...row,
        current: String(window.runCount),
        standing: short > 0 ? 'too few runs' : 'clear',
        distance: short > 0 ? `${short} more runs before any threshold counts` : 'enough runs',
      };
    }
    if (key === 'costIncreasePercentAbove' && window) {
      const cost = window.meanCostUsd;
      return {
        ...row,
        current: cost === null ? null : `$${cost.toFixed(4)}`,
        standing: 'not compared',
        distance: 'compared with the trailing cost per run, which the window does not carry',
      };
    }
    const figure = signal.figure;
    if (!figure || !window) return { ...row, current: null, standing: 'not compared', distance: '' };
    const value = window[figure.key] as number | null;
    if (value === null) return { ...row, current: null, standing: 'no data', distance: 'no data in the window' };
    const headroom = figure.trips === 'above' ? threshold - value : value - threshold;
    const tripped = headroom < 0;
    return {
      ...row,
      current: formatFigure(value, figure.unit),
      standing: tripped ? 'tripped' : 'clear',
      distance: tripped
        ? `beyond by ${formatDistance(-headroom, figure.unit)}`
        : headroom === 0
          ? 'at the threshold (strictly beyond trips)'
          : `${formatDistance(headroom, figure.unit)} from tripping`,
    };
  });
}

const badge: Record<Standing, string> = {
  tripped: 'bad',
  clear: 'ok',
  'too few runs': 'warn',
  'no data': 'muted',
  'not compared': 'muted',
};

export function thresholdsCard(status: StatusView): Html {
  const w = status.window;
  const rows = thresholdRows(status.thresholds, w);
  return html`<section class="card" aria-labelledby="thresholds-heading">
<h2 id="thresholds-heading">Thresholds</h2>
<p class="muted">A session opens when a window's figure is beyond its threshold. ${
    w
      ? html`Window ${when(w.windowStart)} – ${when(w.windowEnd)}, announced ${when(w.announcedAt)}.`
      : html`No window announced yet.`
  }</p>
<table id="thresholds"><thead><tr><th scope="col">Signal</th><th scope="col">Threshold</th><th scope="col">Now</th><th scope="col">How far from tripping</th></tr></thead><tbody>
${rows.map(
  (r) =>
    html`<tr data-threshold="${r.key}"><td>${r.label}</td><td>${r.threshold}</td><td>${r.current ?? html`<span class="muted">—</span>`}</td><td>${
      r.distance ? html`<span class="badge ${badge[r.standing]}">${r.standing}</span> ${r.distance}` : ''
    }</td></tr>`,
)}
</tbody></table>
</section>`;
}
