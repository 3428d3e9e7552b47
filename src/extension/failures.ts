import * as vscode from 'vscode';
import { errorMessage, isOrchestraError } from '../core/errors';
import type { CommandId } from './constants';
import { forEditor } from './wording';

/** A command that failed, as its user was told: the toast's text, and what the log has. */
export interface CommandFailure {
  readonly command: CommandId;
  /** An engine error's stable code (BAD_INPUT...), else the error's name. */
  readonly code: string;
  /** The error's text with its where and fix lines: the toast shows it, the log records it. */
  readonly message: string;
  /** Exactly what the error notification says. */
  readonly toast: string;
  readonly where?: string;
  readonly fix?: string;
  /** Where the problem is in a file (a configuration error's first issue): the toast's "Open" goes there. */
  readonly open?: FilePosition;
  /** The toast's buttons, in order. */
  readonly actions: readonly FailureAction[];
}

export interface FilePosition {
  readonly file: string;
  /** 1-based, as the error prints them. */
  readonly line: number;
  readonly column: number;
}

export type FailureAction = 'Open' | 'Show Log';

/**
 * The first issue of a configuration error with a file position. Read by shape: the error
 * comes from the engine bundle, where `instanceof` against this bundle's class fails.
 */
export function issuePosition(error: unknown): FilePosition | undefined {
  const issues = (error as { issues?: unknown } | null)?.issues;
  if (!Array.isArray(issues)) return undefined;
  for (const issue of issues as { file?: unknown; line?: unknown; column?: unknown }[]) {
    if (typeof issue?.file === 'string' && issue.file) {
      const line = typeof issue.line === 'number' && issue.line > 0 ? issue.line : 1;
      const column = typeof issue.column === 'number' && issue.column > 0 ? issue.column : 1;
      return { file: issue.file, line, column };
    }
  }
  return undefined;
}

/** Opens a file with the cursor at the position (1-based line and column). */
export async function openAt(position: FilePosition): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(position.file));
  const at = new vscode.Position(position.line - 1, position.column - 1);
  return vscode.window.showTextDocument(document, { selection: new vscode.Range(at, at), preview: false });
}

/**
 * Every command failure, recorded by the command wrapper before it shows the error.
 * The wrapper never rethrows (VS Code would add a toast of its own), so executeCommand
 * resolves to undefined on failure: tests read what failed, and how, here.
 */
export class CommandFailures implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<CommandFailure>();

  /** `showLog` is what the toast's "Show Log" does. */
  constructor(private readonly showLog: () => void = () => undefined) {}
  /** Fires once per failed command, before its notification shows. */
  readonly onDidFail = this.emitter.event;
  private latest?: CommandFailure;

  /** The most recent failure of any command, if one failed since activation. */
  get last(): CommandFailure | undefined {
    return this.latest;
  }

  record(command: CommandId, error: unknown): CommandFailure {
    // The engine's advice names CLI commands; the toast names the palette's.
    const message = forEditor(errorMessage(error));
    const open = issuePosition(error);
    const failure: CommandFailure = {
      command,
      code: isOrchestraError(error) ? error.code : error instanceof Error ? error.name : typeof error,
      message,
      toast: `Orchestra: ${message}`,
      ...(isOrchestraError(error) && error.where ? { where: error.where } : {}),
      ...(isOrchestraError(error) && error.fix ? { fix: forEditor(error.fix) } : {}),
      ...(open ? { open } : {}),
      actions: open ? ['Open', 'Show Log'] : ['Show Log'],
    };
    this.latest = failure;
    this.emitter.fire(failure);
    return failure;
  }

  /** What a button of the failure's toast does (the toast calls it; tests press it here). */
  async choose(failure: CommandFailure, action: FailureAction): Promise<void> {
    if (action === 'Open' && failure.open) await openAt(failure.open);
    if (action === 'Show Log') this.showLog();
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
