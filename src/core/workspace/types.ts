import type { DeepPartial, LoadConfigOptions, OrchestraConfig } from '../config/types';
import type { KeyConsent } from './key-guard';
import type { EnvironmentProbes } from '../environment';
import type { PollOptions } from '../gcp/operations';
import type { RetryOptions } from '../gcp/retry';
import type { GcpClient } from '../gcp/types';
import type { Logger } from '../logger';
import type { MemoryClient } from '../memory/types';
import type { LockOptions } from '../migration/lock';
import type { PhaseRegistry } from '../migration/registry';
import type { WorkspaceSecrets } from './secrets';

/** What the loader reads of a workspace, except the forced environment. */
export type ConfigInput = Omit<LoadConfigOptions, 'kind'>;

/** A value, or a function read again at every load (the editor's settings change while it runs). */
export type Live<T> = T | (() => T);

export interface WorkspaceOptions {
  /** The project folder (the CLI's working folder, the editor's first workspace folder). */
  readonly folder: string;
  /** Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** The editor's settings layer (the command line has none). */
  readonly settings?: Live<DeepPartial<OrchestraConfig> | undefined>;
  /** The editor's hints for environment detection. */
  readonly probes?: Live<EnvironmentProbes | undefined>;
  /** The editor's secret storage; without one, ORCHESTRA_MEMORY_API_KEY is the key. */
  readonly secrets?: WorkspaceSecrets;
  /** Whether and where the memory API key may go beyond https and loopback (key-guard.ts). */
  readonly keyConsent?: KeyConsent;
  /** Where the engine's lines go; the workspace masks the memory API key in them. */
  readonly logger?: Logger;
  /** Test and benchmark hooks; production leaves them unset. */
  readonly tuning?: WorkspaceTuning;
}

/**
 * What tests and benchmarks change in the production wiring: faster retries and polls,
 * memory clients wrapped to inject faults or count calls, phases of their own.
 */
export interface WorkspaceTuning {
  readonly gcp?: {
    readonly client?: GcpClient;
    readonly retry?: Partial<RetryOptions>;
    readonly poll?: Partial<PollOptions>;
  };
  readonly memory?: {
    readonly source?: (client: MemoryClient) => MemoryClient;
    readonly target?: (client: MemoryClient) => MemoryClient;
  };
  /** The phases (default: the seven built-in ones). */
  readonly registry?: () => PhaseRegistry;
  readonly concurrency?: number;
  readonly lock?: LockOptions;
}
