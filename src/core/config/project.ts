/**
 * projectId may stay '' while a user only browses (status, plan of a fresh
 * workspace); anything that talks to Google Cloud calls requireProject first and
 * gets an error that says where to set it.
 */
import { InputError } from '../errors';
import type { OrchestraConfig } from './types';

export function requireProject(
  config: Pick<OrchestraConfig, 'projectId'>,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (config.projectId) return config.projectId;
  throw noProjectError(env);
}

/** The one wording of "no project", wherever it is noticed (the engine, a report, the editor's tree). */
export function noProjectError(env: NodeJS.ProcessEnv = process.env): InputError {
  const hint = env.GOOGLE_CLOUD_PROJECT || env.CLOUDSDK_CORE_PROJECT;
  return new InputError('No Google Cloud project is configured.', {
    where: 'projectId',
    fix:
      'Set "projectId" in config/common.json, or the setting orchestra.projectId, or ORCHESTRA_PROJECT_ID' +
      (hint ? ` (this shell's gcloud project is ${hint}: ORCHESTRA_PROJECT_ID=${hint}).` : '.'),
  });
}
