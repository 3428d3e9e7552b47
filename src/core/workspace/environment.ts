/**
 * Where the editor runs, for the status bar at activation: light (no config loader, no
 * engine), so the extension can show it before the engine bundle loads.
 */
export { detectEnvironment, type EditorHints, type EnvironmentDetection, type EnvironmentKind } from '../environment';
export { ENVIRONMENT_KINDS } from '../config/types';
