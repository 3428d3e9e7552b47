/**
 * The seven phases as users see them: identity, title, description and order.
 * What each phase does (its resources and actions) registers separately, so the
 * tree, the CLI and the report can list phases without loading any cloud code.
 */
export type PhaseId =
  | 'core-infrastructure'
  | 'workstation-configuration'
  | 'memory-system'
  | 'hybrid-config'
  | 'ai-coding'
  | 'api-deployment'
  | 'validation';

/** Key of the phase's settings under `phases` in the configuration. */
export type PhaseConfigKey =
  | 'coreInfrastructure'
  | 'workstationConfiguration'
  | 'memorySystem'
  | 'hybridConfig'
  | 'aiCoding'
  | 'apiDeployment'
  | 'validation';

export interface PhaseInfo {
  readonly id: PhaseId;
  readonly configKey: PhaseConfigKey;
  readonly title: string;
  readonly description: string;
  readonly order: number;
}

export const PHASES: readonly PhaseInfo[] = [
  {
    id: 'core-infrastructure',
    configKey: 'coreInfrastructure',
    title: 'Core Infrastructure',
    description:
      'Enable the Google Cloud APIs, create the runtime service account with least-privilege roles, an Artifact Registry repository and a storage bucket.',
    order: 1,
  },
  {
    id: 'workstation-configuration',
    configKey: 'workstationConfiguration',
    title: 'Workstation Configuration',
    description: 'Create the Cloud Workstations cluster, configuration and workstation.',
    order: 2,
  },
  {
    id: 'memory-system',
    configKey: 'memorySystem',
    title: 'Memory System',
    description:
      'Create the Firestore database, then copy every memory record from the source memory server to the target with checkpoints and checksums.',
    order: 3,
  },
  {
    id: 'hybrid-config',
    configKey: 'hybridConfig',
    title: 'Hybrid Config',
    description:
      'Store the Cloud Run environment configuration in Secret Manager, adding a version only when it changed.',
    order: 4,
  },
  {
    id: 'ai-coding',
    configKey: 'aiCoding',
    title: 'AI Coding',
    description: 'Enable Gemini for Google Cloud and grant the team its user role.',
    order: 5,
  },
  {
    id: 'api-deployment',
    configKey: 'apiDeployment',
    title: 'API Deployment',
    description:
      "Deploy the Orchestra API to Cloud Run from the repository's image, wait until it is ready and record its URL.",
    order: 6,
  },
  {
    id: 'validation',
    configKey: 'validation',
    title: 'Validation',
    description: 'Check every resource is present and ready, and that API and memory latencies meet their targets.',
    order: 7,
  },
];

export function phaseInfo(id: string): PhaseInfo | undefined {
  return PHASES.find((p) => p.id === id);
}

/** `cancelled`: the user stopped a run before every step of the phase finished; nothing failed. */
export type PhaseStatus = 'not-started' | 'in-progress' | 'completed' | 'failed' | 'cancelled' | 'skipped';

export const PHASE_STATUS_LABELS: Readonly<Record<PhaseStatus, string>> = {
  'not-started': 'not started',
  'in-progress': 'in progress',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  skipped: 'skipped',
};
