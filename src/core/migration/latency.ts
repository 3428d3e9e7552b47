/** Latency sampling for validation: N sequential calls, p50/p95, and a verdict against a target. */
export interface LatencySample {
  samples: number;
  p50: number;
  p95: number;
  max: number;
}

export interface LatencyResult extends LatencySample {
  targetMs: number;
  verdict: 'pass' | 'warn' | 'fail';
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

/** Sequential on purpose: concurrent samples would measure queueing, not the call. */
export async function measure(n: number, signal: AbortSignal, call: () => Promise<void>): Promise<LatencySample> {
  const times: number[] = [];
  for (let i = 0; i < Math.max(1, n); i++) {
    if (signal.aborted) throw signal.reason;
    const started = performance.now();
    await call();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    samples: times.length,
    p50: round(percentile(times, 50)),
    p95: round(percentile(times, 95)),
    max: round(times[times.length - 1]),
  };
}

/** pass at or under the target, warn up to 1.5x, fail above; judged on p95. */
export function verdictFor(sample: LatencySample, targetMs: number): LatencyResult {
  const verdict = sample.p95 <= targetMs ? 'pass' : sample.p95 <= targetMs * 1.5 ? 'warn' : 'fail';
  return { ...sample, targetMs, verdict };
}
