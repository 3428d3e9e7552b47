/**
 * Phase 7: every resource of the other phases present and ready (each one's own
 * read()), then latency of the API URL and of memory reads, sampled N times, against
 * config.validation.targets: pass at or under the target, warn up to 1.5x, fail above.
 */
import { OrchestraError } from '../../errors';
import { phaseInfo } from '../catalog';
import { measure, verdictFor, type LatencyResult } from '../latency';
import { mapBounded } from '../planner';
import type { Action, PhaseDefinition, Step, StepContext } from '../types';
import { API, type RunService, serviceName } from './api-deployment';
import { MEMORY } from './memory-system';

const phase = 'validation' as const;

export const VALIDATION = {
  resources: 'validation/resources',
  apiLatency: 'validation/api-latency',
  memoryLatency: 'validation/memory-latency',
} as const;

function resourcesCheck(resourceIds: string[]): Action {
  return {
    kind: 'action',
    id: VALIDATION.resources,
    phase,
    title: 'Every resource present and ready',
    dependsOn: resourceIds,
    permissions: [],
    plan: async () => ({ action: 'run', reason: `re-read ${resourceIds.length} resources` }),
    async run(ctx) {
      const results = await mapBounded(resourceIds, 8, async (id) => ({ id, read: await ctx.readStep(id) }));
      const missing = results.filter((r) => !r.read).map((r) => r.id);
      const notReady = results.filter((r) => r.read && !r.read.ready).map((r) => r.id);
      ctx.metric('validation_resources_checked', results.length);
      await ctx.setOutput('validationResources', { checked: results.length, missing, notReady });
      if (missing.length || notReady.length) {
        throw new OrchestraError(
          'VALIDATION_FAILED',
          `Validation found ${missing.length ? `missing: ${missing.join(', ')}` : ''}${missing.length && notReady.length ? '; ' : ''}${notReady.length ? `not ready: ${notReady.join(', ')}` : ''}.`,
          { where: 'validation/resources', fix: 'Run execute again for the phases named.' },
        );
      }
    },
  };
}

async function record(ctx: StepContext, name: 'api' | 'memory', result: LatencyResult): Promise<void> {
  ctx.metric(`${name}_latency_p50_ms`, result.p50);
  ctx.metric(`${name}_latency_p95_ms`, result.p95);
  const previous = (ctx.outputs().validation ?? {}) as Record<string, unknown>;
  await ctx.setOutput('validation', { ...previous, [name]: { ...result } } as never);
  if (result.verdict === 'warn')
    ctx.logger.warn(`${name} latency p95 ${result.p95} ms is over its target ${result.targetMs} ms (within 1.5x)`);
  if (result.verdict === 'fail') {
    throw new OrchestraError(
      'LATENCY_TARGET_MISSED',
      `${name === 'api' ? 'API' : 'Memory read'} latency p95 is ${result.p95} ms (p50 ${result.p50} ms), over 1.5x its target of ${result.targetMs} ms.`,
      {
        where: `validation.targets.${name === 'api' ? 'apiMs' : 'memoryReadMs'}`,
        fix: 'Look at the region and cold starts, or adjust the target in config.',
      },
    );
  }
}

const apiLatency: Action = {
  kind: 'action',
  id: VALIDATION.apiLatency,
  phase,
  title: 'API latency',
  dependsOn: [API.service],
  permissions: ['run.services.get'],
  plan: async (ctx) => ({
    action: 'run',
    reason: `sample ${ctx.config.phases.validation.samples} requests against ${ctx.config.validation.targets.apiMs} ms`,
  }),
  async run(ctx) {
    const url = await apiUrl(ctx);
    const result = await measure(ctx.config.phases.validation.samples, ctx.signal, async () => {
      const response = await fetch(url, { signal: ctx.signal });
      await response.arrayBuffer();
      if (response.status >= 500) throw new Error(`${url} answered ${response.status}`);
    });
    await record(ctx, 'api', verdictFor(result, ctx.config.validation.targets.apiMs));
  },
};

async function apiUrl(ctx: StepContext): Promise<string> {
  const recorded = ctx.outputs().apiUrl;
  if (typeof recorded === 'string') return recorded;
  const live = await ctx.gcp.getOrUndefined<RunService>('run', `/v2/${serviceName(ctx)}`, { signal: ctx.signal });
  if (!live?.uri)
    throw new OrchestraError('NO_API_URL', 'The Cloud Run service has no URL yet.', { where: serviceName(ctx) });
  return live.uri;
}

const memoryLatency: Action = {
  kind: 'action',
  id: VALIDATION.memoryLatency,
  phase,
  title: 'Memory read latency',
  dependsOn: [MEMORY.copy],
  permissions: [],
  plan: async (ctx) => ({
    action: 'run',
    reason: `sample ${ctx.config.phases.validation.samples} reads against ${ctx.config.validation.targets.memoryReadMs} ms`,
  }),
  async run(ctx) {
    const { target } = await ctx.memory();
    const page = await target.list(undefined, undefined, {
      limit: Math.max(1, ctx.config.phases.validation.samples),
      signal: ctx.signal,
    });
    const keys = page.keys.length ? page.keys : ['orchestra-validation-probe'];
    let i = 0;
    const result = await measure(ctx.config.phases.validation.samples, ctx.signal, async () => {
      await target.get(keys[i++ % keys.length], { signal: ctx.signal });
    });
    await record(ctx, 'memory', verdictFor(result, ctx.config.validation.targets.memoryReadMs));
  },
};

export const validationPhase: PhaseDefinition = {
  info: phaseInfo(phase)!,
  // Resources of phases disabled in config are not expected to exist.
  steps: (config, earlier = []) => [
    resourcesCheck(
      earlier
        .filter((s: Step) => s.kind === 'resource' && config.phases[phaseInfo(s.phase)!.configKey]?.enabled !== false)
        .map((s) => s.id),
    ),
    apiLatency,
    memoryLatency,
  ],
};
