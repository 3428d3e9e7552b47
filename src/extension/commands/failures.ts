import * as vscode from 'vscode';
import { errorMessage, isOrchestraError } from '../../core/errors';
import type { CommandId } from '../constants';

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
}

/**
 * Every command failure, recorded by the command wrapper before it shows the error.
 * The wrapper never rethrows (VS Code would add a toast of its own), so executeCommand
 * resolves to undefined on failure: tests read what failed, and how, here.
 */
export class CommandFailures implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<CommandFailure>();
  /** Fires once per failed command, before its notification shows. */
  readonly onDidFail = this.emitter.event;
  private latest?: CommandFailure;

  /** The most recent failure of any command, if one failed since activation. */
  get last(): CommandFailure | undefined {
    return this.latest;
  }

  record(command: CommandId, error: unknown): CommandFailure {
    const message = errorMessage(error);
    const failure: CommandFailure = {
      command,
      code: isOrchestraError(error) ? error.code : error instanceof Error ? error.name : typeof error,
      message,
      toast: `Orchestra: ${message}`,
      ...(isOrchestraError(error) && error.where ? { where: error.where } : {}),
      ...(isOrchestraError(error) && error.fix ? { fix: error.fix } : {}),
    };
    this.latest = failure;
    this.emitter.fire(failure);
    return failure;
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
