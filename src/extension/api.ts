import type { EnvironmentDetection } from '../core/environment';
import type { PhaseTreeProvider } from './phase-tree';
import type { EnvironmentStatusItem } from './status-bar';

/**
 * What activate() returns: `vscode.extensions.getExtension(EXTENSION_ID).exports`.
 * The extension-host tests read the views through it; it is not a public API.
 */
export interface OrchestraApi {
  readonly phaseTree: PhaseTreeProvider;
  readonly statusItem: EnvironmentStatusItem;
  environment(): EnvironmentDetection;
}
