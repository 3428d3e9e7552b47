import type * as vscode from 'vscode';
import type { EnvironmentDetection } from '../core/environment';
import type { CommandFailures } from './failures';
import type { WorkspaceGateway } from './gateway';
import type { HealthItem } from './health-item';
import type { PhaseTreeProvider } from './phase-tree';
import type { PlanPanel } from './plan-panel';
import type { PlanTracker } from './plan-tracker';
import type { MigrationPresenter } from './presenter';
import type { ReportPanel } from './report-panel';
import type { EnvironmentStatusItem } from './status-bar';

/**
 * Everything the commands and views share, built once in activate() and passed to every
 * command (no module state anywhere). activate() returns it too, as
 * `vscode.extensions.getExtension(EXTENSION_ID).exports`: the extension-host tests read
 * the views through it; it is not a public API.
 */
export interface OrchestraContext {
  readonly extension: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  /** The folder the LogOutputChannel writes its file to (tests read what the user would see in Output). */
  readonly logUri: vscode.Uri;
  /** The application layer (src/core/workspace) of the first workspace folder. */
  readonly gateway: WorkspaceGateway;
  /** Follows the configuration and the migration state file into the tree and the status bar. */
  readonly presenter: MigrationPresenter;
  readonly phaseTree: PhaseTreeProvider;
  /** The last Verify's plan, per phase, with its date and whether it went stale. */
  readonly plans: PlanTracker;
  readonly statusItem: EnvironmentStatusItem;
  /** The status bar's service health indicator, with its checker. */
  readonly health: HealthItem;
  /** The report's webview panel. */
  readonly report: ReportPanel;
  /** The Plan & Run webview panel. */
  readonly planPanel: PlanPanel;
  /** One migration run per window; the engine's lock keeps other windows and terminals out. */
  readonly runs: RunGuard;
  /** Every command failure, as the user was told it: executeCommand resolves to undefined then. */
  readonly failures: CommandFailures;
  /** The last detection, as the status bar shows it. */
  environment(): EnvironmentDetection;
  /** Detects again (settings or variables changed) and updates the status bar. */
  redetectEnvironment(): EnvironmentDetection;
  /** The HTML of the open report panel, if one is open. */
  reportHtml(): string | undefined;
}

/** The extension-host tests' name for the context activate() returns. */
export type OrchestraApi = OrchestraContext;

/** Whether this window runs a migration now. */
export interface RunGuard {
  running: boolean;
  /** The progress notification's messages of the current (or last) run, in order. */
  progress?: string[];
  /** The log file under log.dir of the current (or last) run. */
  logFile?: string;
  /** Cancels this window's run (the Plan & Run panel's Cancel); set while one runs. */
  cancel?: () => void;
}
