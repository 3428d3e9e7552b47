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
import { setMaxListeners } from 'node:events';
import { DEFAULT_BREAKER } from '../config/defaults';
import type { BreakerConfig } from '../config/types';
import { nullLogger, type Logger } from '../logger';
import { retryCounter } from '../util/retry-count';
import { RecoveryBackoff } from './recovery';
import type { BreakerRegistry } from './registry';
import { CallTimeoutError, isTransientError } from './transient';

/** The config layer's defaults, so a caller that omits config gets what the schema documents. */
export const DEFAULT_BREAKER_CONFIG: Readonly<BreakerConfig> = DEFAULT_BREAKER;

export interface PolicyOptions {
  logger?: Logger;
  /**
   * 'cooperative' (default): cockatiel's timeout aborts the attempt's signal.
   * 'delegated': the attempt gets `timeoutMs` and bounds itself (the memory HTTP
   * transport sets it on the socket). Abort listeners and a timer per call cost
   * about as much CPU as the rest of the policy, which showed on a hot read path.
   */
  timeout?: 'cooperative' | 'delegated';
  /** What the breaker counts as a fault (default: transient errors). */
  isFailure?: (error: unknown) => boolean;
  /** What the retry repeats (default: transient errors). */
  isRetryable?: (error: unknown) => boolean;
}

/** The context each attempt receives: `signal` aborts on the per-call timeout or the caller's signal. */
export interface AttemptContext {
  signal: AbortSignal;
  attempt: number;
  /** Set in 'delegated' timeout mode: the attempt must give up after this long, with a CallTimeoutError. */
  timeoutMs?: number;
}

/**
 * The signal an attempt gets when nobody can cancel it. Callees may skip wiring it
 * (an abort listener costs microseconds); many calls share it, hence no listener limit.
 */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;
setMaxListeners(0, NEVER_ABORTED);

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
  const recovery = new RecoveryBackoff(config.recoveryTimeoutMs);
  const breakerPolicy = circuitBreaker(handleWhen(isFailure), { breaker: breakerImpl, halfOpenAfter: recovery });
  const retryPolicy = retry(handleWhen(isRetryable), {
    maxAttempts: Math.max(0, config.retry.maxAttempts - 1),
    backoff: new ExponentialBackoff({ initialDelay: config.retry.initialDelayMs, maxDelay: config.retry.maxDelayMs }),
  });
  const delegated = options.timeout === 'delegated';
  const timeoutPolicy = timeout(config.timeoutMs, { strategy: TimeoutStrategy.Cooperative, abortOnReturn: false });
  // Queue without bound: the bulkhead shapes fan-out, it must not drop work.
  const bulkheadPolicy = bulkhead(Math.max(1, config.maxConcurrency), Number.MAX_SAFE_INTEGER);
  registry.register(name, breakerPolicy, breakerImpl, config.recoveryTimeoutMs, () => recovery.last());

  retryPolicy.onRetry((event) => {
    const reason = 'error' in event ? errorText(event.error) : 'unexpected result';
    logger.debug(`${name}: attempt failed (${reason}); retrying in ${Math.round(event.delay)} ms`);
  });
  breakerPolicy.onBreak(() =>
    logger.warn(`${name}: circuit opened; calls fail fast until a probe in ${recovery.last()} ms`),
  );
  breakerPolicy.onHalfOpen(() => logger.info(`${name}: circuit half-open; probing`));
  breakerPolicy.onReset(() => logger.info(`${name}: circuit closed`));

  return {
    name,
    breaker: breakerPolicy,
    bulkhead: bulkheadPolicy,
    retry: retryPolicy,
    execute<T>(fn: (context: AttemptContext) => Promise<T>, signal?: AbortSignal): Promise<T> {
      // Without a caller signal the timeout gets none to derive from: an abort listener costs
      // microseconds per call, and cockatiel would hang them all on one shared signal.
      const callerSignal = signal;
      // Taken now, in the caller's context: the bulkhead may start the call from another's.
      const countRetry = retryCounter();
      const attempt = delegated
        ? (retryContext: { attempt: number }) =>
            breakerPolicy.execute(() =>
              fn({ signal: callerSignal ?? NEVER_ABORTED, attempt: retryContext.attempt, timeoutMs: config.timeoutMs }),
            )
        : (retryContext: { attempt: number; signal: AbortSignal }) =>
            breakerPolicy.execute(
              (inner) =>
                timeoutPolicy.execute(async (timed) => {
                  try {
                    return await fn({ signal: timed.signal, attempt: retryContext.attempt });
                  } catch (error) {
                    // The timeout aborted the call: say so, so retry and breaker treat it as transient.
                    if (timed.signal.aborted && !callerSignal?.aborted) {
                      throw new CallTimeoutError(name, config.timeoutMs);
                    }
                    throw error;
                  }
                }, callerSignal && inner.signal),
              retryContext.signal,
            );
      const counted = (retryContext: { attempt: number; signal: AbortSignal }) => {
        if (retryContext.attempt > 0) countRetry();
        return attempt(retryContext);
      };
      return bulkheadPolicy.execute((outer) => retryPolicy.execute(counted, outer.signal), signal);
    },
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
