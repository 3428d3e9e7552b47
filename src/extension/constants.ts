/**
 * Every identifier the manifest (package.json) and the code share, in one place.
 * The extension-host suite checks that package.json and the registered commands agree.
 */

/** The extension's id: `publisher.name` from package.json. */
export const EXTENSION_ID = 'orchestra.orchestra-migrate';

/** A performance mark (extension host clock) set when the first load has rendered the phases: the bench reads it. */
export const PHASES_SHOWN_MARK = 'orchestra/phases-shown';

export const VIEW_CONTAINER_ID = 'orchestra';

export const VIEW_IDS = {
  phases: 'orchestra.phases',
} as const;

export const COMMAND_IDS = {
  refresh: 'orchestra.refresh',
  showLog: 'orchestra.showLog',
  showEnvironment: 'orchestra.showEnvironment',
  initConfig: 'orchestra.initConfig',
  showReport: 'orchestra.showReport',
  exportReport: 'orchestra.exportReport',
  verify: 'orchestra.verify',
  execute: 'orchestra.execute',
  setMemoryApiKey: 'orchestra.setMemoryApiKey',
  checkHealth: 'orchestra.checkHealth',
  skipPhase: 'orchestra.skipPhase',
  resetPhase: 'orchestra.resetPhase',
  showPlan: 'orchestra.showPlan',
  destroy: 'orchestra.destroy',
  cutover: 'orchestra.cutover',
  rollbackCutover: 'orchestra.rollbackCutover',
} as const;

/** Where the memory API key lives in the editor's SecretStorage. */
export const MEMORY_API_KEY_SECRET = 'orchestra.memory.apiKey';

/** The report's webview panel type. */
export const REPORT_VIEW_TYPE = 'orchestra.report';

/** The Plan & Run webview panel type. */
export const PLAN_VIEW_TYPE = 'orchestra.planAndRun';

export type CommandId = (typeof COMMAND_IDS)[keyof typeof COMMAND_IDS];

/** The configuration section every setting lives under. */
export const SETTINGS_SECTION = 'orchestra';

/** Setting keys, relative to {@link SETTINGS_SECTION} (`orchestra.environment` is `environment`). */
export const SETTING_KEYS = {
  environment: 'environment',
  projectId: 'projectId',
  location: 'location',
  memoryEndpoint: 'memory.endpoint',
  memoryTargetEndpoint: 'memory.targetEndpoint',
  gcpEndpointOverrides: 'gcp.endpointOverrides',
  gcpEmulator: 'gcp.emulator',
  logLevel: 'logLevel',
  healthIntervalSeconds: 'health.intervalSeconds',
} as const;

export type SettingKey = (typeof SETTING_KEYS)[keyof typeof SETTING_KEYS];

/** The full key of a setting, as users write it in settings.json. */
export function settingId(key: SettingKey): string {
  return `${SETTINGS_SECTION}.${key}`;
}

export const STATUS_BAR_ITEM_ID = 'orchestra.environment';

export const HEALTH_ITEM_ID = 'orchestra.health';

export const OUTPUT_CHANNEL_NAME = 'Orchestra Migrate';
