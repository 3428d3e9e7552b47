/**
 * The application layer's door: what the command line and the editor import from the
 * engine. Everything here is light to load; the engine, the cloud and memory clients,
 * markdown-it and the health checker load on first use (see workspace.ts).
 */
export {
  openWorkspace,
  type Workspace,
  type WorkspaceEvents,
  type LoadedWorkspace,
  type WorkspaceView,
  type StepInfo,
  type ConfigDescription,
  type InitSummary,
  type RunRequest,
  type ExecuteRequest,
  type WorkspaceExecuteResult,
  type DestroyRequest,
  type WorkspaceDestroyResult,
  type WorkspaceSyncResult,
  type CutoverRequest,
  type WorkspaceCutoverResult,
  type WorkspaceRollbackResult,
  type HealthRequest,
  type WorkspaceHealth,
} from './workspace';
export type { WorkspaceOptions, WorkspaceTuning } from './types';
export type { DestroyPlan, DestroyStepPlan } from '../migration/destroy';
export type { CutoverPlan } from '../migration/cutover';
export type { RollbackPlan } from '../migration/cutover-rollback';
export type { CutoverRecord, EndpointSwitch } from '../migration/state';
export type { WorkspaceSecrets } from './secrets';
export type { WorkspaceSession } from './wiring';
export type { MemoryRequest, MemoryAnswer, MemoryOperation } from './memory';
export type { ReportRequest, WorkspaceReport } from './report';
export { workspacePaths, LOG_FILE_NAME, type WorkspacePaths } from './paths';
export type { UsedEndpoint } from './endpoints-used';
export { STATUS_JSON_VERSION, type StatusDocument } from './status';
export { MEMORY_API_KEY_VARIABLE } from './secrets';
export { noProjectError } from '../config/project';
export type { InitValues } from '../config/init';
export { ConfigValidationError } from '../config/validate';
export { settingsLayerFrom, explicitSettingValue, isEnvironmentKind, type SettingInspection } from '../config/settings';
export { ENVIRONMENT_KINDS, type EnvironmentKind } from '../config/types';
export { detectEnvironment } from '../environment';
export { formatPlan, planSummary } from '../migration/plan-text';
export { formatCutoverPlan, formatRollbackPlan } from '../migration/cutover-text';
export { readPlanFile, writePlanFile } from './plan-file';
export { PLAN_FILE_VERSION, savedPlan, type SavedPlan } from '../migration/saved-plan';
export type { Plan, PhasePlan, StepPlan, PlanAction, PlanBasis } from '../migration/planner';
export type { FieldDiff } from '../migration/types';
export { PHASE_STATUS_LABELS } from '../migration/catalog';
export { describeCutover } from '../migration/cutover-status';
export { canTransition } from '../migration/status';
export { reportFileName } from '../report/markdown';
export { LOG_LEVELS } from '../logger';
export { streamLogger, redactingLogger } from '../logging/loggers';
export { createRedactor, maskSecret } from '../logging/redact';
