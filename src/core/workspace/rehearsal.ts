/** What `orchestra-migrate sandbox` tells a rehearsal: the default ports, gcloud's endpoint overrides, the project. */
import { loadConfig } from '../config';
export { DEFAULT_PORTS } from '../config/defaults';
export { emulatorOverrideEnv } from '../gcp/endpoints';

/** The project a rehearsal in `dir` uses (ORCHESTRA_PROJECT_ID or the config's projectId), so the emulator creates it. */
export async function rehearsalProject(dir: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (env.ORCHESTRA_PROJECT_ID) return env.ORCHESTRA_PROJECT_ID;
  const resolved = await loadConfig({ dir, env });
  return resolved.config.projectId || undefined;
}
