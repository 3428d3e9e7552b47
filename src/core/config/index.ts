/** The configuration engine: one import for its readers. */
export * from './types';
export { loadConfig, configDirFor, CONFIG_DIR_VARIABLE, DEFAULTS_SOURCE } from './load';
export { getEndpoint, resolveEndpoint, DEFAULT_CODESPACES_DOMAIN, type EndpointResolution } from './endpoints';
export { initConfig, initPlan, GITIGNORE_ENTRY, type InitOptions, type InitResult } from './init';
export {
  settingsLayerFrom,
  explicitSettingValue,
  environmentSettingFrom,
  settingFor,
  isEnvironmentKind,
  SETTING_PATHS,
  ENVIRONMENT_SETTING,
  type SettingInspection,
} from './settings';
export { envLayerFrom, envNameToPath, pathToEnvName, RESERVED_ENV_VARS, ENV_PREFIX } from './env-vars';
export { findSecretInValue, isSecretKeyName, MEMORY_API_KEY_VARIABLE, SECRET_FIX, type SecretFinding } from './secrets';
export { ConfigValidationError, formatIssue, issueLocation } from './validate';
export { describeConfig, describeEndpoints, type ConfigLine, type EndpointLine } from './describe';
export { defaultConfig, initialFiles, DEFAULT_PORTS, DEFAULT_SERVICES, DEFAULT_RUNTIME_ROLES } from './defaults';
export { requireProject } from './project';
export { SCHEMA } from './schema';
export { formatJson } from './json-format';
export {
  memorySide,
  memorySides,
  describeSide,
  sameStoreReason,
  storeIdentity,
  MEMORY_SIDE_NAMES,
  MEMORY_FILE_VARIABLE,
  SAME_STORE_FIX,
  type MemorySide,
  type MemorySideName,
} from './memory-sides';
