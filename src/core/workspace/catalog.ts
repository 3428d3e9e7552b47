/** Phase and step vocabulary the views show, light enough for the extension's start-up bundle. */
export { PHASE_STATUS_LABELS, type PhaseInfo, type PhaseStatus } from '../migration/catalog';
export { canTransition } from '../migration/status';
export { CUTOVER_LABELS, describeCutover, type CutoverCommandNames } from '../migration/cutover-status';
