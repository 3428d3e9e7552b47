/**
 * One resilience policy per endpoint: bulkhead -> retry -> circuit breaker ->
 * timeout -> the call. Retry sits outside the breaker so every attempt counts
 * towards opening it, and an open breaker (BrokenCircuitError) is never retried:
 * the caller learns at once that the server is down instead of hammering it.
 */
import {
  bulkhead,
  circuitBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  retry,
  SamplingBreaker,
  timeout,
  TimeoutStrategy,
  type BulkheadPolicy,
  type CircuitBreakerPolicy,
  type IBreaker,
  type RetryPolicy,
} from 'cockatiel';
import type { BreakerConfig } from '../config/types';
import { nullLogger, type Logger } from '../logger';
import type { BreakerRegistry } from './registry';
import { CallTimeoutError, isTransientError } from './transient';

export const DEFAULT_BREAKER_CONFIG: BreakerConfig = {
  kind: 'consecutive',
  failureThreshold: 5,
  recoveryTimeoutMs: 30_000,
  samplingThreshold: 0.5,
  samplingDurationMs: 30_000,
  samplingMinimumRps: 5,
  retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 5_000 },
  timeoutMs: 10_000,
  maxConcurrency: 16,
};

export interface PolicyOptions {
  logger?: Logger;
  /** What the breaker counts as a fault (default: transient errors). */
  isFailure?: (error: unknown) => boolean;
  /** What the retry repeats (default: transient errors). */
  isRetryable?: (error: unknown) => boolean;
}

/** The context each attempt receives: `signal` aborts on the per-call timeout or the caller's signal. */
export interface AttemptContext {
  signal: AbortSignal;
  attempt: number;
}

export interface ResiliencePolicy {
  readonly name: string;
  readonly breaker: CircuitBreakerPolicy;
  readonly bulkhead: BulkheadPolicy;
  readonly retry: RetryPolicy;
  execute<T>(fn: (context: AttemptContext) => Promise<T>, signal?: AbortSignal): Promise<T>;
}

export function createBreaker(config: BreakerConfig): IBreaker {
  if (config.kind === 'sampling') {
    return new SamplingBreaker({
      threshold: config.samplingThreshold,
      duration: config.samplingDurationMs,
      minimumRps: config.samplingMinimumRps,
    });
  }
  return new ConsecutiveBreaker(config.failureThreshold);
}

export function createPolicy(
  name: string,
  config: BreakerConfig,
  registry: BreakerRegistry,
  options: PolicyOptions = {},
): ResiliencePolicy {
  const logger = options.logger ?? nullLogger;
  const isFailure = options.isFailure ?? isTransientError;
  const isRetryable = options.isRetryable ?? isTransientError;
  const breakerImpl = createBreaker(config);
  const breakerPolicy = circuitBreaker(handleWhen(isFailure), {
    breaker: breakerImpl,
    halfOpenAfter: config.recoveryTimeoutMs,
  });
  const retryPolicy = retry(handleWhen(isRetryable), {
    maxAttempts: Math.max(0, config.retry.maxAttempts - 1),
    backoff: new ExponentialBackoff({ initialDelay: config.retry.initialDelayMs, maxDelay: config.retry.maxDelayMs }),
  });
  const timeoutPolicy = timeout(config.timeoutMs, { strategy: TimeoutStrategy.Cooperative, abortOnReturn: false });
  // Queue without bound: the bulkhead shapes fan-out, it must not drop work.
  const bulkheadPolicy = bulkhead(Math.max(1, config.maxConcurrency), Number.MAX_SAFE_INTEGER);
  registry.register(name, breakerPolicy, breakerImpl, config.recoveryTimeoutMs);

  retryPolicy.onRetry((event) => {
    const reason = 'error' in event ? errorText(event.error) : 'unexpected result';
    logger.debug(`${name}: attempt failed (${reason}); retrying in ${Math.round(event.delay)} ms`);
  });
  breakerPolicy.onBreak(() =>
    logger.warn(`${name}: circuit opened; calls fail fast for ${config.recoveryTimeoutMs} ms`),
  );
  breakerPolicy.onHalfOpen(() => logger.info(`${name}: circuit half-open; probing`));
  breakerPolicy.onReset(() => logger.info(`${name}: circuit closed`));

  return {
    name,
    breaker: breakerPolicy,
    bulkhead: bulkheadPolicy,
    retry: retryPolicy,
    execute<T>(fn: (context: AttemptContext) => Promise<T>, signal?: AbortSignal): Promise<T> {
      return bulkheadPolicy.execute(
        (outer) =>
          retryPolicy.execute(
            (retryContext) =>
              breakerPolicy.execute(
                (inner) =>
                  timeoutPolicy.execute(async (timed) => {
                    try {
                      return await fn({ signal: timed.signal, attempt: retryContext.attempt });
                    } catch (error) {
                      // The timeout aborted the call: say so, so retry and breaker treat it as transient.
                      if (timed.signal.aborted && !outer.signal.aborted) {
                        throw new CallTimeoutError(name, config.timeoutMs);
                      }
                      throw error;
                    }
                  }, inner.signal),
                retryContext.signal,
              ),
            outer.signal,
          ),
        signal,
      );
    },
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
