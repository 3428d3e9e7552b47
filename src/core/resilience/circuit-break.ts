/**
 * Wraps any async function in a named policy (retry, breaker, timeout, bulkhead),
 * registered so the UI can show and reset it.
 */
import type { BreakerConfig } from '../config/types';
import { createPolicy, DEFAULT_BREAKER_CONFIG, type PolicyOptions, type ResiliencePolicy } from './policy';
import { BreakerRegistry } from './registry';

export interface CircuitBreakOptions extends PolicyOptions {
  name: string;
  config?: Partial<BreakerConfig>;
  registry?: BreakerRegistry;
}

export type Wrapped<A extends unknown[], R> = ((...args: A) => Promise<R>) & { policy: ResiliencePolicy };

/** The wrapped function takes the same arguments; the last one may not be an AbortSignal: use `policy.execute` for that. */
export function circuitBreak<A extends unknown[], R>(
  fn: (...args: [...A, AbortSignal]) => Promise<R>,
  options: CircuitBreakOptions,
): Wrapped<A, R> {
  const config: BreakerConfig = {
    ...DEFAULT_BREAKER_CONFIG,
    ...options.config,
    retry: { ...DEFAULT_BREAKER_CONFIG.retry, ...options.config?.retry },
  };
  const policy = createPolicy(options.name, config, options.registry ?? defaultRegistry(), options);
  const wrapped = ((...args: A) => policy.execute(({ signal }) => fn(...args, signal))) as Wrapped<A, R>;
  wrapped.policy = policy;
  return wrapped;
}

let shared: BreakerRegistry | undefined;

/** The process-wide registry, for callers that do not own one (the extension and CLI pass their own). */
export function defaultRegistry(): BreakerRegistry {
  shared ??= new BreakerRegistry();
  return shared;
}
