// Percentiles over recorded samples (nearest-rank on sorted values).
export interface Percentiles {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export function percentiles(values: ArrayLike<number>, count = values.length): Percentiles {
  const sorted = Float64Array.from({ length: count }, (_, i) => values[i]!).sort();
  const at = (q: number): number => (count === 0 ? NaN : sorted[Math.min(count - 1, Math.max(0, Math.ceil(q * count) - 1))]!);
  let sum = 0;
  for (let i = 0; i < count; i++) sum += sorted[i]!;
  return { count, mean: count ? sum / count : NaN, p50: at(0.5), p95: at(0.95), p99: at(0.99), p999: at(0.999), max: count ? sorted[count - 1]! : NaN };
}

/** A bounded buffer of samples: keeps the first `capacity` values. */
export class Samples {
  private readonly data: Float64Array;
  length = 0;
  dropped = 0;
  constructor(capacity: number) {
    this.data = new Float64Array(capacity);
  }
  push(value: number): void {
    if (this.length < this.data.length) this.data[this.length++] = value;
    else this.dropped++;
  }
  percentiles(): Percentiles {
    return percentiles(this.data, this.length);
  }
}
