import * as vscode from 'vscode';
import {
  detectEnvironment,
  ENVIRONMENT_KINDS,
  type EditorHints,
  type EnvironmentDetection,
  type EnvironmentKind,
} from '../core/workspace/environment';
import { SETTINGS_SECTION, SETTING_KEYS } from './constants';

/** `orchestra.environment`: 'auto' (detect) or a kind that forces the verdict. */
export function environmentSetting(): EnvironmentKind | undefined {
  const value = vscode.workspace.getConfiguration(SETTINGS_SECTION).get<string>(SETTING_KEYS.environment, 'auto');
  return (ENVIRONMENT_KINDS as readonly string[]).includes(value) ? (value as EnvironmentKind) : undefined;
}

export function editorHints(): EditorHints {
  return {
    remoteName: vscode.env.remoteName,
    uiKind: vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop',
  };
}

/** Detects where the editor runs, from the extension host's environment and the editor's own hints. */
export function detectEditorEnvironment(env: NodeJS.ProcessEnv = process.env): EnvironmentDetection {
  return detectEnvironment(env, { editor: editorHints(), setting: environmentSetting() });
}
