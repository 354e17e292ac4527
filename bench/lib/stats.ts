/** Small numeric helpers shared by the benchmarks and the report. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Nearest-rank percentile of already sorted values (`p` in 0..100). */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** A growable Float64Array: latencies of tens of thousands of responses without boxing. */
export class Samples {
  private values = new Float64Array(4096);
  private length = 0;

  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  get count(): number {
    return this.length;
  }

  sorted(): Float64Array {
    return this.values.slice(0, this.length).sort();
  }
}

/** Three significant figures, thousands grouped: 45123 -> "45,100", 0.01234 -> "0.0123". */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  if (value === 0) return "0";
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, 2 - magnitude);
  const rounded = Number(value.toPrecision(3));
  return rounded.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

export function formatRatio(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  if (value >= 10) return `${value.toFixed(0)}x`;
  if (value >= 1) return `${value.toFixed(2)}x`;
  if (value >= 0.1) return `${value.toFixed(3)}x`;
  return `${value.toPrecision(2)}x`;
}

/** Nanoseconds to a human duration. */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return "–";
  if (ns < 1e3) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${formatNumber(ns / 1e3)} µs`;
  if (ns < 1e9) return `${formatNumber(ns / 1e6)} ms`;
  return `${formatNumber(ns / 1e9)} s`;
}
