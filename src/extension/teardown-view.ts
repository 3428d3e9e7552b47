/**
 * What the editor's Destroy shows of a teardown plan, as plain data: the quick pick's rows
 * (what goes, in deletion order; what stays and why), the include-data choice, and the
 * typed confirmation's check. No 'vscode' here, so it is tested on plain Node.
 */
import type { DestroyPlan, DestroyStepPlan } from '../core/workspace';

/** A choice at the top of the plan; the plan's own rows are for reading. */
export type TeardownChoice = 'delete' | 'include-data' | 'keep-data';

export interface TeardownRow {
  readonly label: string;
  readonly description?: string;
  readonly detail?: string;
  /** Set on the rows that do something when accepted. */
  readonly choice?: TeardownChoice;
  /** A heading between groups (VS Code's separator). */
  readonly separator?: boolean;
}

export interface TeardownCounts {
  readonly deleting: number;
  readonly kept: number;
  readonly gone: number;
  /** Kept only because they hold data and the data was not included. */
  readonly dataKept: number;
  /** Deleted with their data (include data chosen). */
  readonly dataDeleted: number;
}

export function teardownCounts(plan: DestroyPlan): TeardownCounts {
  const of = (test: (s: DestroyStepPlan) => boolean) => plan.steps.filter(test).length;
  return {
    deleting: of((s) => s.action === 'delete'),
    kept: of((s) => s.action === 'keep'),
    gone: of((s) => s.action === 'gone'),
    dataKept: of((s) => s.action === 'keep' && s.holdsData === true),
    dataDeleted: of((s) => s.action === 'delete' && s.holdsData === true),
  };
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** "3 resources to delete, 12 kept, 1 already gone (data included)". */
export function teardownSummary(plan: DestroyPlan): string {
  const c = teardownCounts(plan);
  const parts = [`${plural(c.deleting, 'resource')} to delete`, `${c.kept} kept`];
  if (c.gone) parts.push(`${c.gone} already gone`);
  return `${parts.join(', ')}${plan.includeData ? ' (data included)' : ''}`;
}

const ICONS = { delete: '$(trash)', gone: '$(circle-slash)' } as const;

function keptIcon(step: DestroyStepPlan): string {
  if (step.holdsData) return '$(database)';
  return /adopted/.test(step.reason) ? '$(lock)' : '$(circle-large-outline)';
}

function row(step: DestroyStepPlan): TeardownRow {
  const icon = step.action === 'keep' ? keptIcon(step) : ICONS[step.action];
  return { label: `${icon} ${step.title}`, description: step.target, detail: step.reason };
}

/** Kept for a reason the user acts on first: found existing (adopted), then holding data, then the rest. */
function keptRank(step: DestroyStepPlan): number {
  if (/adopted/.test(step.reason)) return 0;
  return step.holdsData ? 1 : 2;
}

/** Kept because teardown never deletes its kind, or because this migration never created it. */
const KINDS_LEFT = /leaves this kind alone/;
const NOT_CREATED = /does not record/;

/**
 * The quick pick's rows: the choices first (delete, the data switch), then the plan by
 * group, deletions in the order they run, what stays with why (adopted and data first).
 * Kinds teardown never deletes (APIs, role grants, versions) and resources this
 * migration never created are summed up in a row each: beside what it created, one by
 * one they are noise.
 */
export function teardownRows(plan: DestroyPlan): TeardownRow[] {
  const c = teardownCounts(plan);
  const rows: TeardownRow[] = [];
  if (c.deleting) {
    rows.push({
      label: `$(trash) Delete ${plural(c.deleting, 'resource')}…`,
      detail: `Next: type the project id (${plan.projectId}) to confirm. In reverse dependency order; cancellable; a rerun resumes.`,
      choice: 'delete',
    });
  }
  if (c.dataKept) {
    rows.push({
      label: `$(database) Include data-holding resources (${c.dataKept})`,
      detail: 'Deletes the database, bucket or vector store this migration created, with the data in it.',
      choice: 'include-data',
    });
  } else if (plan.includeData && c.dataDeleted) {
    rows.push({
      label: `$(shield) Keep data-holding resources (${c.dataDeleted})`,
      detail: 'Plan again without deleting the database, bucket or vector store.',
      choice: 'keep-data',
    });
  }
  const group = (title: string, steps: DestroyStepPlan[]) => {
    if (!steps.length) return;
    rows.push({ label: title, separator: true });
    rows.push(...steps.map(row));
  };
  const kept = plan.steps.filter((s) => s.action === 'keep');
  const listed = kept.filter((s) => !KINDS_LEFT.test(s.reason) && !NOT_CREATED.test(s.reason));
  group(
    'To delete, in this order',
    plan.steps.filter((s) => s.action === 'delete'),
  );
  group(
    'Kept',
    listed.sort((a, b) => keptRank(a) - keptRank(b)),
  );
  group(
    'Already gone',
    plan.steps.filter((s) => s.action === 'gone'),
  );
  const summed = [
    {
      steps: kept.filter((s) => KINDS_LEFT.test(s.reason)),
      // Each row's own reason is in the plan; the sum names the kinds there are.
      why: 'teardown leaves these kinds alone (enabled APIs, role grants, and what goes with its container)',
    },
    {
      steps: kept.filter((s) => NOT_CREATED.test(s.reason)),
      why: 'not created by this migration (never run, or found existing)',
    },
  ].filter((g) => g.steps.length);
  if (summed.length) rows.push({ label: 'Also kept', separator: true });
  for (const { steps, why } of summed) {
    rows.push({
      label: `$(circle-large-outline) ${plural(steps.length, 'resource')}: ${why}`,
      detail: steps.map((s) => s.title).join(', '),
    });
  }
  return rows;
}

/**
 * The input box's check: undefined when `typed` is the project id, else what to type.
 * Exact, as deleting a Google Cloud project asks: no trimming, no case folding.
 */
export function confirmationProblem(typed: string, projectId: string): string | undefined {
  if (typed === projectId) return undefined;
  return typed ? `"${typed}" is not the project id: type ${projectId} exactly.` : `Type ${projectId} to confirm.`;
}
