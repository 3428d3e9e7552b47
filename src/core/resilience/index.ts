export { circuitBreak, defaultRegistry, type CircuitBreakOptions, type Wrapped } from './circuit-break';
export {
  createBreaker,
  createPolicy,
  DEFAULT_BREAKER_CONFIG,
  NEVER_ABORTED,
  type AttemptContext,
  type PolicyOptions,
  type ResiliencePolicy,
} from './policy';
export {
  BreakerRegistry,
  type BreakerFailure,
  type BreakerInfo,
  type BreakerListener,
  type BreakerStateName,
  type Disposable,
} from './registry';
export { CallTimeoutError, isTransientError, TRANSIENT_CODES, TRANSIENT_STATUSES } from './transient';
