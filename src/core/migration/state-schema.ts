/**
 * The state file's own JSON Schema, one per schema version. The build compiles them into
 * Ajv standalone code (scripts/gen-schema-validators.ts writes
 * state-validators.generated.js), so no command pays for compiling a schema. The file is written by this program but lives on the user's disk: a hand edit,
 * a newer build or a half-restored backup must be refused with the field named, not
 * crash a run later (an unknown status once threw inside the executor, leaving the lock).
 * Enums come from the constants the engine uses, so a new status cannot drift from
 * the schema; `satisfies` makes the compiler list every field of each record.
 */
import { PHASE_STATUS_LABELS } from './catalog';
import type {
  CutoverRecord,
  EndpointSwitch,
  FileRestoreRecord,
  GlobalMetrics,
  HistoryEvent,
  MigrationState,
  PhaseMetrics,
  PhaseRecord,
  RunRecord,
  StepTotals,
} from './state';
import type { FieldDiff, StepAction, StepRecord, StepStatus } from './types';

type Schema = Record<string, unknown>;

/**
 * A phase id as the registry keys them (kebab-case): the file is read before anyone knows
 * which phases are registered, and a phase added since must not make it invalid.
 */
const PHASE_ID = '[a-z][a-z0-9]*(?:-[a-z0-9]+)*';
const PHASE_STATUSES = Object.keys(PHASE_STATUS_LABELS);
const STEP_STATUSES = Object.keys({
  pending: 1,
  running: 1,
  done: 1,
  failed: 1,
  blocked: 1,
  cancelled: 1,
} satisfies Record<StepStatus, 1>);
const STEP_ACTIONS = Object.keys({ create: 1, update: 1, none: 1, run: 1 } satisfies Record<StepAction, 1>);
const RUN_STATUSES = Object.keys({
  running: 1,
  completed: 1,
  failed: 1,
  cancelled: 1,
} satisfies Record<RunRecord['status'], 1>);

/** Counts and durations: whole, not negative, exact in a double (a huge value is a corrupt file). */
const count: Schema = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER };
/** Custom metrics may be fractional (latencies, recall) but stay finite and plausible. */
const measure: Schema = { type: 'number', minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER };
const time: Schema = { type: 'string', format: 'date-time' };
const text: Schema = { type: 'string', maxLength: 100_000 };
const name: Schema = { type: 'string', minLength: 1, maxLength: 1_000 };
const phaseId: Schema = { type: 'string', pattern: `^${PHASE_ID}$`, maxLength: 100 };
const customMetrics: Schema = { type: 'object', additionalProperties: measure };

function record(properties: Record<string, Schema>, required: string[]): Schema {
  return { type: 'object', properties, required, additionalProperties: false };
}

const totals = {
  steps: count,
  created: count,
  updated: count,
  unchanged: count,
  failed: count,
  blocked: count,
  requests: count,
  retries: count,
  custom: customMetrics,
} satisfies Record<keyof StepTotals, Schema>;
const TOTALS_REQUIRED = ['steps', 'created', 'updated', 'unchanged', 'failed', 'blocked', 'requests', 'retries'];

const phaseMetrics = record({ ...totals, durationMs: count } satisfies Record<keyof PhaseMetrics, Schema>, [
  ...TOTALS_REQUIRED,
  'durationMs',
]);

const phaseRecord = record(
  {
    status: { enum: PHASE_STATUSES },
    startedAt: time,
    finishedAt: time,
    error: text,
    blockedBy: name,
    stale: text,
    metrics: phaseMetrics,
  } satisfies Record<keyof PhaseRecord, Schema>,
  ['status', 'metrics'],
);

const fieldDiff = record({ field: name, live: {}, desired: {} } satisfies Record<keyof FieldDiff, Schema>, ['field']);

const stepRecord = record(
  {
    id: name,
    phase: phaseId,
    status: { enum: STEP_STATUSES },
    action: { enum: STEP_ACTIONS },
    startedAt: time,
    finishedAt: time,
    durationMs: count,
    attempts: count,
    requests: count,
    retries: count,
    error: text,
    blockedBy: name,
    checkpoint: {},
    diff: { type: 'array', items: fieldDiff },
    origin: { enum: ['created', 'adopted'] },
    updatedAt: time,
    creating: { type: 'boolean' },
  } satisfies Record<keyof StepRecord, Schema>,
  ['id', 'phase', 'status', 'attempts'],
);

const runRecord = record(
  {
    id: name,
    startedAt: time,
    finishedAt: time,
    status: { enum: RUN_STATUSES },
    phases: { type: 'array', items: phaseId },
    pid: { type: 'integer', minimum: 0, maximum: 2 ** 32 },
    host: name,
    error: text,
    log: text,
  } satisfies Record<keyof RunRecord, Schema>,
  ['id', 'startedAt', 'status', 'phases', 'pid', 'host'],
);

const globalMetrics = record(
  { ...totals, runs: count, lastRunMs: count } satisfies Record<keyof GlobalMetrics, Schema>,
  ['runs', ...TOTALS_REQUIRED, 'lastRunMs'],
);

const historyEvent = record(
  { at: time, type: name, phase: phaseId, step: name, message: text } satisfies Record<keyof HistoryEvent, Schema>,
  ['at', 'type', 'message'],
);

const delta = record(
  {
    added: count,
    updated: count,
    deleted: count,
    method: { enum: ['changes', 'scan'] },
  } satisfies Record<keyof NonNullable<CutoverRecord['delta']>, Schema>,
  ['added', 'updated', 'deleted', 'method'],
);

const endpointSwitch = record(
  { file: name, setting: name, from: text, to: text, created: { type: 'string', maxLength: 1_000 } } satisfies Record<
    keyof EndpointSwitch,
    Schema
  >,
  ['file', 'setting', 'to'],
);

const fileRestore = record(
  {
    file: name,
    after: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    created: { type: 'boolean' },
    offset: count,
    length: count,
    // The span of a config file the switch changed, as it was: config files are small.
    text: { type: 'string', maxLength: 1_000_000 },
  } satisfies Record<keyof FileRestoreRecord, Schema>,
  ['file', 'after'],
);

const cutoverRecord = record(
  {
    status: { enum: ['in-progress', 'failed', 'done', 'rolled-back'] },
    stage: { enum: ['read-only', 'final-delta', 'verified', 'switching', 'switched'] },
    startedAt: time,
    finishedAt: time,
    error: text,
    source: record(
      { endpoint: text, readOnlySupported: { type: 'boolean' }, readOnly: { type: 'boolean' } } satisfies Record<
        keyof CutoverRecord['source'],
        Schema
      >,
      ['endpoint', 'readOnlySupported', 'readOnly'],
    ),
    target: record(
      {
        endpoint: text,
        mark: record({ epoch: name, seq: count }, ['epoch', 'seq']),
      } satisfies Record<keyof CutoverRecord['target'], Schema>,
      ['endpoint'],
    ),
    delta,
    records: count,
    checksum: name,
    switched: { type: 'array', items: endpointSwitch, maxItems: 1_000 },
    restore: { type: 'array', items: fileRestore, maxItems: 1_000 },
    secretVersion: name,
    rollback: record(
      {
        startedAt: time,
        finishedAt: time,
        error: text,
        copiedBack: delta,
        secretVersion: name,
      } satisfies Record<keyof NonNullable<CutoverRecord['rollback']>, Schema>,
      ['startedAt'],
    ),
  } satisfies Record<keyof CutoverRecord, Schema>,
  ['status', 'stage', 'startedAt', 'source', 'target', 'switched'],
);

/** Version 2: the current shape (state.ts). Phases missing from the file start as not started. */
export const STATE_SCHEMA_V2: Schema = record(
  {
    schemaVersion: { const: 2 },
    projectId: name,
    createdAt: time,
    updatedAt: time,
    phases: {
      type: 'object',
      propertyNames: phaseId,
      additionalProperties: phaseRecord,
    },
    steps: {
      type: 'object',
      // Step ids are `<phase>/<name>`: the key names the phase a reset clears.
      propertyNames: { type: 'string', pattern: `^${PHASE_ID}/.+$`, maxLength: 1_000 },
      additionalProperties: stepRecord,
    },
    run: runRecord,
    metrics: globalMetrics,
    outputs: { type: 'object' },
    history: { type: 'array', items: historyEvent },
    cutover: cutoverRecord,
  } satisfies Record<keyof MigrationState, Schema>,
  ['schemaVersion', 'projectId', 'createdAt', 'updatedAt', 'phases'],
);

/** Version 1 (the first release): phases as a list of `{ id, status }`; other fields were never read. */
export const STATE_SCHEMA_V1: Schema = {
  type: 'object',
  properties: {
    schemaVersion: { const: 1 },
    createdAt: time,
    phases: {
      type: 'array',
      items: record({ id: phaseId, status: { enum: PHASE_STATUSES } }, ['id', 'status']),
    },
  },
};

/** The Ajv options the generator compiles these schemas with (kept here, beside the schemas). */
export const STATE_AJV_OPTIONS = { allErrors: true, strict: true, allowUnionTypes: true } as const;
export const STATE_FORMATS = ['date-time'] as const;
