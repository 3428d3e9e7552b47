/**
 * Latency sampling for validation: a few warm-up calls (a new connection's handshake
 * and a cold server are not what users see), then N sequential calls, p50/p95, and a
 * verdict against a target. Any sample that does not succeed (an HTTP error status, a
 * timeout, a refused connection) fails the measurement, naming what it got: a fast
 * 403 is not a fast service.
 */
import { OrchestraError } from '../errors';

export interface LatencySample {
  samples: number;
  /** Calls made before the samples and not counted. */
  warmup: number;
  p50: number;
  p95: number;
  max: number;
}

export type LatencyVerdict = 'pass' | 'warn' | 'fail';

export interface LatencyResult extends LatencySample {
  targetMs: number;
  verdict: LatencyVerdict;
  /** Where the numbers come from: a loopback endpoint measures this machine, not Google Cloud. */
  where: 'local' | 'remote';
}

/** Warm-up calls before the samples. */
export const WARMUP_CALLS = 3;

/** The grading the origin project prints. */
export const VERDICT_MARKS: Readonly<Record<LatencyVerdict, string>> = { pass: '✅', warn: '⚠️', fail: '❌' };

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

export interface MeasureOptions {
  samples: number;
  signal: AbortSignal;
  /** A sample with no answer by then fails (ms). */
  timeoutMs: number;
  warmup?: number;
  /** What is measured, for error messages ("API GET https://..."). */
  what: string;
}

/** Sequential on purpose: concurrent samples would measure queueing, not the call. */
export async function measure(
  options: MeasureOptions,
  call: (signal: AbortSignal) => Promise<void>,
): Promise<LatencySample> {
  const { signal, timeoutMs, what } = options;
  const warmup = options.warmup ?? WARMUP_CALLS;
  const samples = Math.max(1, options.samples);
  const times: number[] = [];
  for (let i = -warmup; i < samples; i++) {
    if (signal.aborted) throw signal.reason;
    const timeout = AbortSignal.timeout(timeoutMs);
    const started = performance.now();
    try {
      await call(AbortSignal.any([signal, timeout]));
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const which = i < 0 ? `warm-up call ${i + warmup + 1} of ${warmup}` : `sample ${i + 1} of ${samples}`;
      const why = timeout.aborted ? `no answer within ${timeoutMs} ms` : (error as Error).message;
      throw new OrchestraError('LATENCY_SAMPLE_FAILED', `${what}: ${which} failed: ${why}.`, {
        where: what,
        fix: 'A latency check counts only successful answers: make the service answer this call (see the status), then run Validation again.',
        cause: error,
      });
    }
    if (i >= 0) times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    samples: times.length,
    warmup,
    p50: round(percentile(times, 50)),
    p95: round(percentile(times, 95)),
    max: round(times[times.length - 1]),
  };
}

/** pass at or under the target, warn up to 1.5x, fail above; judged on p95. */
export function verdictFor(sample: LatencySample, targetMs: number, endpoint: string): LatencyResult {
  const verdict = sample.p95 <= targetMs ? 'pass' : sample.p95 <= targetMs * 1.5 ? 'warn' : 'fail';
  return { ...sample, targetMs, verdict, where: isLoopback(endpoint) ? 'local' : 'remote' };
}

/** A URL (or host) on this machine: the local emulator, a sandbox server. */
export function isLoopback(endpoint: string): boolean {
  let host = endpoint;
  try {
    host = new URL(endpoint).hostname;
  } catch {
    /* a bare host */
  }
  host = host.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host) || host.endsWith('.localhost');
}
