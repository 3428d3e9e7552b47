/**
 * The editor settings layer, without the editor: the extension hands in a getter
 * and gets a partial configuration back. Only settings the user actually set may
 * take part: a contributed default (projectId "", logLevel "info") returned by
 * `get` would silently mask config/*.json. Pass `explicitSettingValue(inspect(key))`.
 */
import { isPlainObject, setAt } from './paths';
import type { DeepPartial, EnvironmentKind, OrchestraConfig } from './types';
import { ENVIRONMENT_KINDS } from './types';

/** Setting id -> configuration path. */
export const SETTING_PATHS: Readonly<Record<string, string>> = Object.freeze({
  'orchestra.projectId': 'projectId',
  'orchestra.location': 'location',
  'orchestra.memory.endpoint': 'memory.endpoint',
  'orchestra.memory.targetEndpoint': 'phases.memorySystem.targetEndpoint',
  'orchestra.gcp.endpointOverrides': 'gcp.endpointOverrides',
  'orchestra.gcp.emulator': 'gcp.emulator',
  'orchestra.logLevel': 'log.level',
});

export const ENVIRONMENT_SETTING = 'orchestra.environment';

/** Unset for this layer: undefined, null, '' and {} (the usual contributed defaults). */
function isUnset(value: unknown): boolean {
  return (
    value === undefined || value === null || value === '' || (isPlainObject(value) && Object.keys(value).length === 0)
  );
}

/** Maps the editor settings into a partial configuration. `get` receives full ids ('orchestra.projectId'). */
export function settingsLayerFrom(get: (key: string) => unknown): DeepPartial<OrchestraConfig> {
  const out: Record<string, unknown> = {};
  for (const [key, path] of Object.entries(SETTING_PATHS)) {
    const value = get(key);
    if (!isUnset(value)) setAt(out, path.split('.'), value);
  }
  return out as DeepPartial<OrchestraConfig>;
}

/** What `WorkspaceConfiguration.inspect(key)` returns, reduced to what matters here. */
export interface SettingInspection<T = unknown> {
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
  globalLanguageValue?: T;
  workspaceLanguageValue?: T;
  workspaceFolderLanguageValue?: T;
}

/**
 * The value the user set, most specific scope first; undefined when only the
 * default applies. `trusted: false` drops workspace values (an untrusted
 * workspace must not redirect endpoints).
 */
export function explicitSettingValue<T>(inspection: SettingInspection<T> | undefined, trusted = true): T | undefined {
  if (!inspection) return undefined;
  if (trusted) {
    if (inspection.workspaceFolderValue !== undefined) return inspection.workspaceFolderValue;
    if (inspection.workspaceValue !== undefined) return inspection.workspaceValue;
  }
  return inspection.globalValue;
}

/** The setting id behind a configuration path, when a setting feeds it. */
export function settingFor(path: string): string | undefined {
  for (const [key, settingPath] of Object.entries(SETTING_PATHS)) {
    if (path === settingPath || path.startsWith(`${settingPath}.`)) return key;
  }
  return undefined;
}

/** `orchestra.environment`: a kind, or undefined for 'auto' / unset. Unknown values are returned as-is for detection to report. */
export function environmentSettingFrom(get: (key: string) => unknown): EnvironmentKind | undefined {
  const value = get(ENVIRONMENT_SETTING);
  if (typeof value !== 'string' || value === '' || value === 'auto') return undefined;
  return value as EnvironmentKind;
}

export function isEnvironmentKind(value: unknown): value is EnvironmentKind {
  return typeof value === 'string' && (ENVIRONMENT_KINDS as readonly string[]).includes(value);
}
