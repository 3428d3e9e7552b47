/**
 * Phase 7: every resource of the other phases present and ready (each one's own
 * read()), then latency of the API URL and of memory reads, sampled N times after a
 * warm-up, against config.validation.targets: pass (✅) at or under the target, warn
 * (⚠️) up to 1.5x, fail (❌) above.
 */
import { describeSide, memorySide } from '../../config/memory-sides';
import { OrchestraError } from '../../errors';
import { idTokenAuthorization } from '../../gcp/id-token';
import { measure, VERDICT_MARKS, verdictFor, WARMUP_CALLS, type LatencyResult } from '../latency';
import type { MemoryClient } from '../../memory/types';
import { mapBounded } from '../planner';
import type { Action, PhaseDefinition, Step, StepContext } from '../types';
import { API, type RunService, serviceName, serviceUrl } from './api-deployment';
import { MEMORY } from './memory-system';
import { VECTOR_COPY_STEP } from '../vector/copy-vectors';
import { vectorValidation } from './validation-vector';

const phase = 'validation' as const;

export const VALIDATION = {
  resources: 'validation/resources',
  apiLatency: 'validation/api-latency',
  memoryLatency: 'validation/memory-latency',
} as const;

/**
 * Read-only GETs, as many at once as the REST client's connection pool holds (32 a host):
 * the demo's 27 resources are re-read in one round trip instead of four at 8, and this
 * check sits on the run's critical path (after every other step).
 */
const READS_IN_FLIGHT = 32;

function resourcesCheck(resourceIds: string[], dependsOn: string[]): Action {
  return {
    kind: 'action',
    id: VALIDATION.resources,
    phase,
    title: 'Every resource present and ready',
    dependsOn,
    permissions: [],
    plan: async () => ({ action: 'run', reason: `re-read ${resourceIds.length} resources` }),
    async run(ctx) {
      const results = await mapBounded(resourceIds, READS_IN_FLIGHT, async (id) => ({
        id,
        read: await ctx.readStep(id),
      }));
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

/** Per-sample bound: ten times the target, never under 2 s (a cold TLS handshake on a busy machine). */
function sampleTimeout(targetMs: number): number {
  return Math.max(2000, targetMs * 10);
}

async function record(ctx: StepContext, name: 'api' | 'memory', result: LatencyResult): Promise<void> {
  ctx.metric(`${name}_latency_p50_ms`, result.p50);
  ctx.metric(`${name}_latency_p95_ms`, result.p95);
  const previous = (ctx.outputs().validation ?? {}) as Record<string, unknown>;
  await ctx.setOutput('validation', { ...previous, [name]: { ...result } } as never);
  const what = name === 'api' ? 'API' : 'Memory read';
  const line = `${what} latency ${VERDICT_MARKS[result.verdict]} p95 ${result.p95} ms, p50 ${result.p50} ms over ${result.samples} samples (target ${result.targetMs} ms)`;
  const where = result.where === 'local' ? ' (measured on this machine against a local server)' : '';
  if (result.verdict === 'pass') ctx.logger.info(line + where);
  if (result.verdict === 'warn') ctx.logger.warn(`${line}: over its target, within 1.5x${where}`);
  if (result.verdict === 'fail') {
    throw new OrchestraError('LATENCY_TARGET_MISSED', `${line}: over 1.5x its target${where}.`, {
      where: `validation.targets.${name === 'api' ? 'apiMs' : 'memoryReadMs'}`,
      fix:
        result.where === 'local'
          ? 'These are latencies of this machine (the local emulator and servers), not of Google Cloud: run Validation again when the machine is less busy, or raise the target.'
          : `Run the check from near ${ctx.config.location}, keep a minimum instance warm against cold starts, or adjust the target in config.`,
    });
  }
}

/** One call of the deployed API; anything but a success status fails the sample. */
async function callApi(url: string, authorization: string, signal: AbortSignal): Promise<void> {
  const response = await fetch(url, { signal, headers: { authorization } });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status} ${response.statusText}`.trimEnd());
}

const apiLatency = (dependsOn: string[]): Action => ({
  kind: 'action',
  id: VALIDATION.apiLatency,
  phase,
  title: 'API latency',
  dependsOn,
  permissions: ['run.services.get'],
  plan: async (ctx) => ({
    action: 'run',
    reason: `sample ${ctx.config.phases.validation.samples} requests (after ${WARMUP_CALLS} warm-up calls) against ${ctx.config.validation.targets.apiMs} ms`,
  }),
  async run(ctx) {
    const url = await apiUrl(ctx);
    // The service is private: Cloud Run admits only callers with an ID token for its URL.
    const authorization = await idTokenAuthorization(url, { gcp: ctx.config.gcp, signal: ctx.signal });
    const targetMs = ctx.config.validation.targets.apiMs;
    const samples = ctx.config.phases.validation.samples;
    const options = { samples, signal: ctx.signal, timeoutMs: sampleTimeout(targetMs), what: `API ${url}` };
    const result = await measure(options, (signal) => callApi(url, authorization, signal));
    await record(ctx, 'api', verdictFor(result, targetMs, url));
  },
});

async function apiUrl(ctx: StepContext): Promise<string> {
  const recorded = ctx.outputs().apiUrl;
  if (typeof recorded === 'string') return recorded;
  const live = await ctx.gcp.getOrUndefined<RunService>('run', `/v2/${serviceName(ctx)}`, { signal: ctx.signal });
  if (!live?.uri)
    throw new OrchestraError('NO_API_URL', 'The Cloud Run service has no URL yet.', { where: serviceName(ctx) });
  return serviceUrl(ctx, live.uri);
}

const memoryLatency = (dependsOn: string[]): Action => ({
  kind: 'action',
  id: VALIDATION.memoryLatency,
  phase,
  title: 'Memory read latency',
  dependsOn,
  permissions: [],
  plan: async (ctx) => ({
    action: 'run',
    reason: `sample ${ctx.config.phases.validation.samples} reads (after ${WARMUP_CALLS} warm-up reads) against ${ctx.config.validation.targets.memoryReadMs} ms`,
  }),
  async run(ctx) {
    const { target } = await ctx.memory();
    const samples = ctx.config.phases.validation.samples;
    const page = await target.list(undefined, undefined, { limit: Math.max(1, samples), signal: ctx.signal });
    const keys = page.keys.length ? page.keys : ['orchestra-validation-probe'];
    const side = memorySide(ctx.config, 'target');
    const endpoint = describeSide(side);
    // A server process over stdio runs on this machine: its latency is judged as local.
    const host = side.transport === 'mcp-stdio' ? 'localhost' : (side.endpoint ?? '');
    const targetMs = ctx.config.validation.targets.memoryReadMs;
    let i = 0;
    const options = {
      samples,
      signal: ctx.signal,
      timeoutMs: sampleTimeout(targetMs),
      what: `memory reads from ${endpoint || 'the target memory server'}`,
    };
    const result = await measure(options, async (signal) => {
      await target.get(keys[i++ % keys.length], { signal });
    });
    await recordServerStats(ctx, target);
    await record(ctx, 'memory', verdictFor(result, targetMs, host));
  },
});

/**
 * The target server's own figures beside the latency measured on it (extension `stats`),
 * as metrics named `memory_target_<its name>`: names are the server's text, which the
 * report and the views show as text.
 */
async function recordServerStats(ctx: StepContext, target: MemoryClient): Promise<void> {
  const health = await target.health();
  if (!health.ok) {
    ctx.logger.warn(`memory target: no status figures recorded (${health.message ?? 'status unavailable'})`);
    return;
  }
  for (const [name, value] of Object.entries(health.stats ?? {})) ctx.metric(`memory_target_${name}`, value);
}

/**
 * Validation checks the migration as the other phases left it, so it waits for every
 * one of their steps (a dependency, not a place in a list), and its own checks run one
 * after another: latency sampled while other work runs would measure that work.
 */
export const validationPhase: PhaseDefinition = {
  info: {
    id: phase,
    configKey: 'validation',
    title: 'Validation',
    description: 'Check every resource is present and ready, and that API and memory latencies meet their targets.',
    order: 7,
  },
  steps: (config, earlier = [], registry) => {
    // Steps of phases disabled in config are not expected to have run.
    const enabled = earlier.filter((s: Step) => registry?.enabled(config, s.phase) ?? true).map((s) => s.id);
    const resources = earlier.filter((s) => s.kind === 'resource' && enabled.includes(s.id)).map((s) => s.id);
    return [
      resourcesCheck(resources, enabled),
      apiLatency(unique([VALIDATION.resources, API.service])),
      memoryLatency(unique([VALIDATION.apiLatency, MEMORY.copy])),
      ...(config.phases.memorySystem.enabled && config.phases.memorySystem.vectorStore?.enabled
        ? [vectorValidation([VALIDATION.memoryLatency, VECTOR_COPY_STEP])]
        : []),
    ];
  },
};

function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}
