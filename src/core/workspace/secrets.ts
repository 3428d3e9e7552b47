/**
 * The memory API key rule, in one place: the editor's secret storage first (Orchestra:
 * Set Memory API Key), else the variable ORCHESTRA_MEMORY_API_KEY. The key never lives
 * in a config file; whatever logger the workspace is given only sees it masked.
 */
import { MEMORY_API_KEY_VARIABLE } from '../config/secrets';

/** Where the editor keeps secrets; the command line has none. */
export interface WorkspaceSecrets {
  memoryApiKey(): Promise<string | undefined> | string | undefined;
}

export async function memoryApiKey(
  secrets: WorkspaceSecrets | undefined,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  const stored = await secrets?.memoryApiKey();
  return stored || env[MEMORY_API_KEY_VARIABLE] || undefined;
}

export { MEMORY_API_KEY_VARIABLE };
export { maskSecret } from '../logging/redact';
