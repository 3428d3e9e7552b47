/**
 * The state file checked on load: parsed, validated against its version's schema,
 * then migrated to the current version. A problem is bad input (exit 2) naming the
 * file and the field, with the fix that applies: a problem inside one phase's records
 * can be cleared by resetting that phase; anything else means moving the file aside.
 */
import type { ErrorObject } from 'ajv';
import { InputError } from '../errors';
import { migrateState, STATE_SCHEMA_VERSION, type MigrationState } from './state';
import { validateStateV1, validateStateV2 } from './state-validators.generated';

/** How many problems a message lists; the rest are counted. */
const LISTED = 5;

export interface StateProblem {
  /** Dotted path of the field, e.g. `phases.memory-system.status`; '' for the whole document. */
  field: string;
  message: string;
}

/** Thrown when the state file cannot be used as it is; nothing was written. */
export class StateFileError extends InputError {
  constructor(
    readonly file: string,
    readonly problems: readonly StateProblem[],
    /** The phase whose records hold every problem: resetting it clears them. */
    readonly phase?: string,
  ) {
    const listed = problems.slice(0, LISTED).map((p) => `${p.field || '(document)'}: ${p.message}`);
    const more = problems.length > LISTED ? `; and ${problems.length - LISTED} more` : '';
    super(`The migration state file ${file} is not valid: ${listed.join('; ')}${more}.`, {
      where: problems[0]?.field ? `${file}, field ${problems[0].field}` : file,
      fix: phase
        ? `Reset the phase (orchestra-migrate reset ${phase}, or Reset in the phase tree): its progress is forgotten and the next execute re-reads its resources. Or move the file aside to start over.`
        : `Move the file aside (e.g. rename it to ${fileName(file)}.bad) to start over: every step re-reads the cloud first, so nothing is created twice.`,
    });
    this.name = 'StateFileError';
  }
}

function fileName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}

/**
 * The state in `text`, checked and migrated. `resetPhase`: that phase's records are
 * dropped before the check (what `reset <phase>` needs to repair a damaged phase).
 */
export function checkState(
  text: string,
  file: string,
  projectId: string,
  options: { resetPhase?: string } = {},
): MigrationState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new StateFileError(file, [{ field: '', message: `not JSON (${(error as Error).message})` }]);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new StateFileError(file, [{ field: '', message: 'the state is not a JSON object' }]);
  }
  const doc = raw as Record<string, unknown>;
  if (options.resetPhase) dropPhase(doc, options.resetPhase);
  const version = doc.schemaVersion === undefined ? 1 : doc.schemaVersion;
  if (version !== 1 && version !== STATE_SCHEMA_VERSION) {
    const newer = typeof version === 'number' && version > STATE_SCHEMA_VERSION;
    throw new StateFileError(file, [
      {
        field: 'schemaVersion',
        message: newer
          ? `version ${version} is newer than this build understands (${STATE_SCHEMA_VERSION}); update Orchestra Migrate`
          : `unknown version ${shown(version)} (known: 1, ${STATE_SCHEMA_VERSION})`,
      },
    ]);
  }
  const errors = stateSchemaErrors(doc, version);
  if (errors.length) {
    // Ajv reports a bad property name twice: inside (the name's own check) and as propertyNames.
    const problems = dedupe(errors.filter((e) => e.propertyName === undefined).map(problemOf));
    throw new StateFileError(file, problems, onePhase(problems));
  }
  if (version === STATE_SCHEMA_VERSION && doc.projectId !== projectId) {
    throw new StateFileError(file, [
      { field: 'projectId', message: `the file belongs to project ${shown(doc.projectId)}, not ${projectId}` },
    ]);
  }
  return migrateState(doc, projectId);
}

function dropPhase(doc: Record<string, unknown>, phase: string): void {
  const phases = doc.phases;
  if (phases && typeof phases === 'object' && !Array.isArray(phases)) delete (phases as Record<string, unknown>)[phase];
  const steps = doc.steps;
  if (steps && typeof steps === 'object' && !Array.isArray(steps)) {
    for (const key of Object.keys(steps))
      if (key.startsWith(`${phase}/`)) delete (steps as Record<string, unknown>)[key];
  }
}

/** The phase every problem lies under (phases.<id>... or steps.<id>/...), if there is one. */
function onePhase(problems: readonly StateProblem[]): string | undefined {
  let found: string | undefined;
  for (const { field } of problems) {
    const match = /^phases\.([^.]+)(\.|$)/.exec(field) ?? /^steps\.([^/.]+)\//.exec(field);
    const phase = match?.[1];
    if (!phase || (found && found !== phase)) return undefined;
    found = phase;
  }
  return found;
}

function problemOf(error: ErrorObject): StateProblem {
  const segments = error.instancePath.split('/').slice(1).map(unescapePointer);
  const field = (extra?: string) => [...segments, ...(extra === undefined ? [] : [extra])].join('.');
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { field: field(String(p.missingProperty)), message: 'missing' };
    case 'additionalProperties':
      return { field: field(String(p.additionalProperty)), message: 'unknown field' };
    case 'propertyNames':
      return { field: field(String(p.propertyName)), message: 'unknown name' };
    case 'enum':
      return { field: field(), message: `unknown value; expected one of ${(p.allowedValues as unknown[]).join(', ')}` };
    case 'const':
      return { field: field(), message: `expected ${shown(p.allowedValue)}` };
    case 'type':
      return { field: field(), message: `expected ${String(p.type)}` };
    case 'format':
      return { field: field(), message: `expected a ${String(p.format)} (e.g. 2026-01-31T12:00:00.000Z)` };
    case 'maximum':
    case 'minimum':
      return { field: field(), message: `out of range (${error.keyword} ${String(p.limit)})` };
    default:
      return { field: field(), message: error.message ?? error.keyword };
  }
}

function dedupe(problems: StateProblem[]): StateProblem[] {
  const byKey = new Map(problems.map((p) => [`${p.field}\n${p.message}`, p]));
  return [...byKey.values()];
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** A value for a message: short, and as JSON so markup or control characters show as text. */
function shown(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 40 ? `${json.slice(0, 37)}...` : json;
}

/** Ajv's errors for a document of the given version; [] when it is valid. */
function stateSchemaErrors(doc: unknown, version: 1 | 2): ErrorObject[] {
  const validate = version === 1 ? validateStateV1 : validateStateV2;
  return validate(doc) ? [] : [...(validate.errors ?? [])];
}
