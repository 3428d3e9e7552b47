import * as vscode from 'vscode';
import { InputError } from '../../core/errors';
import type { PhaseStatus } from '../../core/migration/catalog';
import { canTransition, PHASE_STATUS_LABELS } from '../../core/workspace/catalog';
import { COMMAND_IDS } from '../constants';
import type { OrchestraContext } from '../context';
import type { PhaseTreeNode } from '../presentation';
import type { OrchestraCommand } from './command';

type Change = 'skip' | 'reset';

const TARGET_STATUS: Readonly<Record<Change, PhaseStatus>> = { skip: 'skipped', reset: 'not-started' };

/**
 * The phase a call names: a row of the tree (VS Code passes it), `{ phase, yes }` or a
 * phase id from other code and the tests; otherwise the user picks one of the phases
 * the change applies to.
 */
async function chosenPhase(
  ctx: OrchestraContext,
  change: Change,
  arg: unknown,
): Promise<{ id: string; title: string; yes: boolean } | undefined> {
  const phases = ctx.presenter.phases();
  const byId = (id: string) => {
    const node = phases.find((n) => n.phase.id === id);
    if (!node) {
      throw new InputError(`There is no phase '${id}'.`, {
        fix: `Name one of: ${phases.map((n) => n.phase.id).join(', ')}.`,
      });
    }
    return node;
  };
  if (typeof arg === 'string') {
    const found = byId(arg);
    return { id: found.phase.id, title: found.phase.title, yes: false };
  }
  if (arg && typeof arg === 'object') {
    const node = arg as Partial<PhaseTreeNode>;
    if ((node.kind === 'phase' || node.kind === 'step') && node.phase) {
      return { id: node.phase.id, title: node.phase.title, yes: false };
    }
    const given = arg as { phase?: unknown; yes?: unknown };
    if (typeof given.phase === 'string') {
      const found = byId(given.phase);
      return { id: found.phase.id, title: found.phase.title, yes: given.yes === true };
    }
  }
  const applicable = phases.filter((n) => canTransition(n.status, TARGET_STATUS[change]));
  if (applicable.length === 0) {
    void vscode.window.showInformationMessage(
      change === 'skip' ? 'Orchestra: every phase is already skipped.' : 'Orchestra: no phase has progress to reset.',
    );
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    applicable.map((n) => ({
      label: `${n.phase.order}. ${n.phase.title}`,
      description: PHASE_STATUS_LABELS[n.status],
      node: n,
    })),
    { title: change === 'skip' ? 'Orchestra: Skip Phase' : 'Orchestra: Reset Phase', placeHolder: 'Which phase?' },
  );
  return picked && { id: picked.node.phase.id, title: picked.node.phase.title, yes: false };
}

/** Skips or resets one phase under the run lock (a running migration stays safe), then redraws. */
async function changePhase(ctx: OrchestraContext, phase: string, change: Change): Promise<void> {
  const workspace = ctx.gateway.forRun();
  try {
    await (change === 'skip' ? workspace.skip(phase) : workspace.reset(phase));
  } finally {
    await ctx.presenter.refreshState();
  }
}

/**
 * `orchestra-migrate skip <phase>` from the editor: execute passes over the phase until it
 * is reset. Nothing in Google Cloud changes, so it does not ask first.
 */
export const skipPhaseCommand: OrchestraCommand = {
  id: COMMAND_IDS.skipPhase,
  async run(ctx, arg) {
    const phase = await chosenPhase(ctx, 'skip', arg);
    if (!phase) return undefined;
    await changePhase(ctx, phase.id, 'skip');
    ctx.log.info(`phase ${phase.id} skipped`);
    void vscode.window.showInformationMessage(
      `Orchestra: ${phase.title} is skipped; execute passes over it until it is reset.`,
    );
    return { phase: phase.id, status: 'skipped' };
  },
};

/**
 * `orchestra-migrate reset <phase>` from the editor: forgets the phase's progress. Asks
 * first (unless `{ yes: true }`), saying that nothing in the cloud is deleted.
 */
export const resetPhaseCommand: OrchestraCommand = {
  id: COMMAND_IDS.resetPhase,
  async run(ctx, arg) {
    const phase = await chosenPhase(ctx, 'reset', arg);
    if (!phase) return undefined;
    if (!phase.yes) {
      const copy =
        phase.id === 'memory-system'
          ? ' The memory copy starts again from the first record (records are not doubled).'
          : '';
      const choice = await vscode.window.showWarningMessage(
        `Reset the ${phase.title} phase?`,
        {
          modal: true,
          detail: `Its recorded progress (steps, checkpoints, metrics) is forgotten. Nothing in Google Cloud is deleted: the next execute re-reads each resource and creates only what is missing.${copy}`,
        },
        'Reset',
      );
      if (choice !== 'Reset') return undefined;
    }
    await changePhase(ctx, phase.id, 'reset');
    ctx.log.info(`phase ${phase.id} reset`);
    return { phase: phase.id, status: 'not-started' };
  },
};
