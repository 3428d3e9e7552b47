/**
 * Where the editor (or CLI) runs, with the evidence for the verdict.
 * First version (foundation): environment variables and editor hints only.
 * The configuration issue completes the signal table and forcing rules.
 */
import type { EnvironmentKind } from './config/types';

export type { EnvironmentKind };

export interface Evidence {
  /** The signal, e.g. 'CODESPACES' or 'vscode.env.remoteName'. */
  signal: string;
  value: string;
  /** The kind this signal points to, if any. */
  suggests?: EnvironmentKind;
  note: string;
}

export interface EditorHints {
  remoteName?: string;
  uiKind?: 'desktop' | 'web';
}

export interface EnvironmentProbes {
  editor?: EditorHints;
  /** The editor setting `orchestra.environment`, when not 'auto'. */
  setting?: EnvironmentKind;
}

export interface EnvironmentDetection {
  kind: EnvironmentKind;
  evidence: Evidence[];
  /** Set when a variable or setting forced the kind, naming it. */
  forcedBy?: string;
}

export function detectEnvironment(env: NodeJS.ProcessEnv, probes: EnvironmentProbes = {}): EnvironmentDetection {
  const evidence: Evidence[] = [];
  if (env.CODESPACES === 'true') {
    evidence.push({ signal: 'CODESPACES', value: 'true', suggests: 'codespaces', note: 'GitHub Codespaces sets CODESPACES=true' });
  }
  if (env.GOOGLE_CLOUD_WORKSTATIONS) {
    evidence.push({
      signal: 'GOOGLE_CLOUD_WORKSTATIONS',
      value: env.GOOGLE_CLOUD_WORKSTATIONS,
      suggests: 'workstation',
      note: 'set inside Cloud Workstations',
    });
  }
  if (env.K_SERVICE) {
    evidence.push({ signal: 'K_SERVICE', value: env.K_SERVICE, suggests: 'cloud_run', note: 'set by Cloud Run services' });
  }
  if (probes.editor?.remoteName) {
    evidence.push({
      signal: 'vscode.env.remoteName',
      value: probes.editor.remoteName,
      suggests: probes.editor.remoteName === 'codespaces' ? 'codespaces' : undefined,
      note: 'the editor reports a remote connection',
    });
  }
  const suggested = evidence.find((e) => e.suggests)?.suggests;
  if (!suggested) {
    evidence.push({ signal: 'none', value: '', suggests: 'local', note: 'no cloud signal found: a local machine' });
  }
  return { kind: suggested ?? 'local', evidence };
}
