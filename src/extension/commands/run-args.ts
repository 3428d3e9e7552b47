import type * as vscode from 'vscode';
import type { PhaseTreeNode } from '../presentation';

/**
 * What verify and execute were asked to cover. From the palette: every phase. From a
 * phase's row in the tree: that phase (VS Code passes the row). From other code and the
 * tests: `{ phases, yes }`, `yes` being execute's --yes (no confirmation).
 */
export interface RunArgs {
  phases?: string[];
  yes?: boolean;
  /** Another way to cancel besides the notification's button (other code, the tests). */
  token?: vscode.CancellationToken;
  /** Execute the last Verify's plan, as reviewed (the Plan & Run panel's "Execute this plan"). */
  reviewed?: boolean;
}

export function runArgs(arg: unknown): RunArgs {
  if (!arg || typeof arg !== 'object') return {};
  const node = arg as Partial<PhaseTreeNode>;
  if ((node.kind === 'phase' || node.kind === 'step') && node.phase) return { phases: [node.phase.id] };
  const given = arg as RunArgs;
  return {
    ...(Array.isArray(given.phases) && given.phases.length ? { phases: given.phases.map(String) } : {}),
    ...(given.yes === true ? { yes: true } : {}),
    ...(typeof given.token?.onCancellationRequested === 'function' ? { token: given.token } : {}),
    ...(given.reviewed === true ? { reviewed: true } : {}),
  };
}

/** Cancellation from a progress notification's button (or any of `tokens`), as the engine takes it. */
export function abortOn(...tokens: (vscode.CancellationToken | undefined)[]): AbortSignal {
  const controller = new AbortController();
  for (const token of tokens) {
    if (token?.isCancellationRequested) controller.abort(new Error('cancelled from the editor'));
    token?.onCancellationRequested(() => controller.abort(new Error('cancelled from the editor')));
  }
  return controller.signal;
}
