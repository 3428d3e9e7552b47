/** The migration engine: one import for the CLI, the extension and the report. */
export { MigrationEngine, type EngineOptions, type RunOptions } from './engine';
export { builtInPhases } from './phases';
export { PhaseRegistry, criticalPath } from './registry';
export {
  MigrationMonitor,
  StateFileMonitor,
  snapshotOf,
  type MonitorSnapshot,
  type PhaseSnapshot,
  type ChangeListener,
} from './monitor';
export { EngineEvents, describeEvent, type EngineEvent, type Disposable } from './events';
export type { Plan, PhasePlan, StepPlan, PlanAction } from './planner';
export type { ExecuteResult } from './executor';
export { MigrationLock, LockedError, lockPath, type LockInfo } from './lock';
export { readStateFile, statePath, StateStore } from './store';
export {
  STATE_SCHEMA_VERSION,
  type MigrationState,
  type PhaseRecord,
  type PhaseMetrics,
  type GlobalMetrics,
  type HistoryEvent,
  type RunRecord,
} from './state';
export { canTransition, assertTransition } from './status';
export type {
  Resource,
  Action,
  Step,
  PhaseDefinition,
  StepContext,
  StepRecord,
  StepStatus,
  StepAction,
  FieldDiff,
  MemoryPair,
} from './types';
export * from './catalog';
