/**
 * A mergeable quantile sketch for latencies (DDSketch, Masson et al. 2019): values fall into logarithmic bins, so any
 * quantile is within `relativeAccuracy` of the true value, and two sketches merge by adding their bins. Stored as
 * plain data ({bin: count}) so that it serialises into the window state as it is.
 */
export interface LatencySketch {
  /** Values at or below 1 ms (a cached answer, a clock tick). */
  zero: number;
  bins: Record<string, number>;
}

// 2%: p95 of 1,000 ms is reported between 980 and 1,020 ms; values 1 ms to 1 h take at most ~410 bins.
const relativeAccuracy = 0.02;
const gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
const logGamma = Math.log(gamma);
const minValue = 1;

export function emptySketch(): LatencySketch {
  return { zero: 0, bins: {} };
}

export function binOf(value: number): number {
  return Math.ceil(Math.log(value) / logGamma);
}

export function addToSketch(sketch: LatencySketch, value: number, count = 1): void {
  if (!(value > minValue)) {
    sketch.zero += count;
    return;
  }
  const bin = String(binOf(value));
  sketch.bins[bin] = (sketch.bins[bin] ?? 0) + count;
}

export function mergeSketches(into: LatencySketch, from: LatencySketch): void {
  into.zero += from.zero;
  for (const [bin, count] of Object.entries(from.bins)) into.bins[bin] = (into.bins[bin] ?? 0) + count;
}

export function sketchCount(sketch: LatencySketch): number {
  let n = sketch.zero;
  for (const count of Object.values(sketch.bins)) n += count;
  return n;
}

/** The q-quantile (0..1), or null for an empty sketch; a bin reports the value at its log-midpoint. */
export function quantile(sketch: LatencySketch, q: number): number | null {
  const total = sketchCount(sketch);
  if (total === 0) return null;
  const rank = q * (total - 1);
  let seen = sketch.zero;
  if (rank < seen) return minValue;
  const bins = Object.keys(sketch.bins)
    .map(Number)
    .sort((a, b) => a - b);
  for (const bin of bins) {
    seen += sketch.bins[String(bin)]!;
    if (rank < seen) return (2 * gamma ** bin) / (gamma + 1);
  }
  return (2 * gamma ** bins[bins.length - 1]!) / (gamma + 1);
}
