/**
 * Where the editor runs, for the status bar at activation: light (no config loader, no
 * engine), so the extension can show it before the engine bundle loads.
 */
export {
  detectEnvironment,
  ENVIRONMENT_KINDS,
  type EditorHints,
  type EnvironmentDetection,
  type EnvironmentKind,
} from '../environment';
