import type * as vscode from 'vscode';
import type { EnvironmentDetection } from '../core/environment';
import type { CommandFailures } from './commands/failures';
import type { HealthItem } from './health-item';
import type { MigrationView } from './migration-view';
import type { PhaseTreeProvider } from './phase-tree';
import type { EnvironmentStatusItem } from './status-bar';

/**
 * What activate() returns: `vscode.extensions.getExtension(EXTENSION_ID).exports`.
 * The extension-host tests read the views through it; it is not a public API.
 */
export interface OrchestraApi {
  readonly phaseTree: PhaseTreeProvider;
  readonly statusItem: EnvironmentStatusItem;
  /** Follows the configuration and the migration state file. */
  readonly migration: MigrationView;
  /** The status bar's service health indicator. */
  readonly health: HealthItem;
  /** Every command failure: executeCommand resolves to undefined then, the tests read why here. */
  readonly failures: CommandFailures;
  environment(): EnvironmentDetection;
  /** The HTML of the open report panel, if one is open (tests read what the webview shows). */
  reportHtml(): string | undefined;
  /** The folder the LogOutputChannel writes its file to (tests read what the user would see in Output). */
  readonly logUri: vscode.Uri;
}
