/**
 * When an open breaker lets its next probe through. A fixed recovery time made a 1.5 s
 * outage cost the full 30 s; this backoff probes soon after the breaker opens and grows
 * the wait by half after each failed probe, up to the configured recoveryTimeoutMs, so
 * recovery follows the outage and a long one is still probed only rarely. Half, not
 * double: the time lost after the target is back is at most about half the time the
 * breaker was open (doubling lost up to all of it: a 1.7 s outage on a loaded machine
 * cost 5 s).
 * Deterministic (no jitter): the registry shows when the next probe is due.
 */
import type { IBackoff, IBackoffFactory, IHalfOpenAfterBackoffContext } from 'cockatiel';

/** The first probe's wait; a breaker configured to recover sooner uses its own time. */
export const FIRST_PROBE_MS = 500;

/** How much longer each wait is than the one before. */
export const PROBE_GROWTH = 1.5;

/** Wait before the n-th probe of one outage (1-based), whole milliseconds. */
export function probeDelayMs(attempt: number, maxMs: number, firstMs = FIRST_PROBE_MS): number {
  const first = Math.min(firstMs, maxMs);
  return Math.min(maxMs, Math.round(first * PROBE_GROWTH ** Math.min(60, Math.max(0, attempt - 1))));
}

type Context = IHalfOpenAfterBackoffContext;

/** cockatiel's halfOpenAfter backoff; `last()` is the wait chosen when the breaker last opened. */
export class RecoveryBackoff implements IBackoffFactory<Context> {
  private lastMs: number;

  constructor(
    readonly maxMs: number,
    readonly firstMs = FIRST_PROBE_MS,
  ) {
    this.lastMs = Math.min(firstMs, maxMs);
  }

  last(): number {
    return this.lastMs;
  }

  next(context: Context): IBackoff<Context> {
    return this.step(context.attempt);
  }

  private step(attempt: number): IBackoff<Context> {
    const duration = probeDelayMs(attempt, this.maxMs, this.firstMs);
    this.lastMs = duration;
    return { duration, next: (context: Context) => this.step(Math.max(context.attempt, attempt + 1)) };
  }
}
