/**
 * Builds the StepContext each step runs with: the engine's clients, the state-backed
 * checkpoint and outputs, per-step counters and the shared mutexes.
 */
import type { OrchestraConfig } from '../config/types';
import { OrchestraError } from '../errors';
import type { GcpClient, GcpRequest } from '../gcp/types';
import type { Logger } from '../logger';
import type { JsonValue } from '../memory/types';
import type { EngineEvents } from './events';
import type { StateStore } from './store';
import type { MemoryPair, Mutexes, Resource, Step, StepContext } from './types';

export interface EngineDeps {
  config: OrchestraConfig;
  /** The workspace folder: relative paths in config (the API source) resolve against it. */
  workspaceDir?: string;
  gcp: GcpClient;
  logger: Logger;
  memory?: () => MemoryPair | Promise<MemoryPair>;
  cloudRunConfig?: () => Promise<JsonValue>;
  recordEndpoint?: (service: 'api' | 'memory', url: string) => Promise<void>;
  mutexes: Mutexes;
  /** Every step of the migration, to let validation re-read any resource. */
  steps: () => readonly Step[];
}

export interface StepCounters {
  requests: number;
  retries: number;
  custom: Record<string, number>;
}

export class NamedMutexes implements Mutexes {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(name) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(fn);
    this.tails.set(name, current);
    try {
      return await current;
    } finally {
      if (this.tails.get(name) === current) this.tails.delete(name);
    }
  }
}

/** Counts the calls one step makes, for per-phase metrics. */
export function countingGcp(inner: GcpClient, counters: StepCounters): GcpClient {
  return {
    request<T>(req: GcpRequest): Promise<T> {
      counters.requests++;
      return inner.request<T>(req);
    },
    getOrUndefined(api, path, options) {
      counters.requests++;
      return inner.getOrUndefined(api, path, options);
    },
    waitForOperation(api, operation, options) {
      counters.requests++;
      return inner.waitForOperation(api, operation, options);
    },
    get stats() {
      return inner.stats;
    },
  };
}

export interface ContextHooks {
  store?: StateStore;
  events?: EngineEvents;
  signal: AbortSignal;
  mode: 'verify' | 'execute';
  /** One verify pass's shared reads (StepContext.readOnce): absent, every read is made. */
  pass?: Map<string, Promise<unknown>>;
}

export function makeStepContext(
  deps: EngineDeps,
  step: Step,
  counters: StepCounters,
  hooks: ContextHooks,
): StepContext {
  const { store, events } = hooks;
  const gcp = countingGcp(deps.gcp, counters);
  const ctx: StepContext = {
    config: deps.config,
    workspaceDir: deps.workspaceDir ?? process.cwd(),
    gcp,
    logger: deps.logger,
    signal: hooks.signal,
    mode: hooks.mode,
    mutexes: deps.mutexes,
    async memory() {
      if (!deps.memory) {
        throw new OrchestraError('NO_MEMORY_CLIENTS', `${step.id} needs the source and target memory servers.`, {
          where: step.id,
          fix: 'Set phases.memorySystem.sourceEndpoint and targetEndpoint (or skip the Memory System phase).',
        });
      }
      return await deps.memory();
    },
    cloudRunConfig: () =>
      deps.cloudRunConfig ? deps.cloudRunConfig() : Promise.resolve(defaultCloudRunConfig(deps.config)),
    outputs: () => store?.state.outputs ?? {},
    async setOutput(key, value) {
      if (hooks.mode === 'verify' || !store) return;
      await store.update((s) => {
        s.outputs[key] = value;
      });
    },
    async recordEndpoint(service, url) {
      if (hooks.mode === 'verify' || !deps.recordEndpoint) return;
      await deps.recordEndpoint(service, url);
    },
    metric(name, value) {
      counters.custom[name] = (counters.custom[name] ?? 0) + value;
    },
    retried() {
      counters.retries++;
    },
    readOnce<T>(key: string, read: () => Promise<T>): Promise<T> {
      const pass = hooks.mode === 'verify' ? hooks.pass : undefined;
      if (!pass) return read();
      let shared = pass.get(key) as Promise<T> | undefined;
      if (!shared) {
        shared = read();
        pass.set(key, shared);
      }
      return shared;
    },
    checkpoint: () => store?.state.steps[step.id]?.checkpoint,
    async saveCheckpoint(value) {
      if (hooks.mode === 'verify' || !store) return;
      await store.update((s) => {
        const record = s.steps[step.id];
        if (record) record.checkpoint = value;
      });
    },
    async markCreating() {
      if (hooks.mode === 'verify' || !store) return;
      await store.update((s) => {
        const record = s.steps[step.id];
        if (record) record.creating = true;
      });
    },
    progress(done, total, message) {
      events?.emit({
        type: 'step-progress',
        step: step.id,
        phase: step.phase,
        done,
        total,
        message,
        at: new Date().toISOString(),
      });
    },
    async readStep(id) {
      const target = deps.steps().find((s) => s.id === id);
      if (!target || target.kind !== 'resource') return undefined;
      const resource = target as Resource;
      // A step this config does not need (the build, when an image is given) counts as present.
      if ((await resource.gate?.({ ...ctx, mode: 'verify' }))?.action === 'ok') return { live: null, ready: true };
      const live = await resource.read({ ...ctx, mode: 'verify' });
      if (live === undefined) return undefined;
      return { live, ready: resource.ready ? resource.ready(live) : true };
    },
  };
  return ctx;
}

/** Without a loader-provided cloud_run configuration, store what the engine runs with (no secrets live in config). */
function defaultCloudRunConfig(config: OrchestraConfig): JsonValue {
  return JSON.parse(JSON.stringify(config)) as JsonValue;
}
