/**
 * Health of the services a project's migration depends on, for the status bar and
 * `orchestra-migrate health`: the memory server the project uses, the memory server the
 * copy writes to, and the deployed API once the state records its URL.
 *
 * A HealthChecker keeps its memory clients open between checks, so their circuit
 * breakers carry over: after repeated failures a check reports the open breaker (and when
 * it probes next) without calling the server again. Its clients never write; their
 * outboxes live in a temporary folder of the checker's own, removed on close, so a
 * check never touches (or locks) the workspace's outboxes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ResolvedConfig } from './config';
import type { OrchestraConfig } from './config/types';
import { errorMessage } from './errors';
import { idTokenAuthorization } from './gcp/id-token';
import type { Logger } from './logger';
import { describeSide, memorySides, type MemorySide } from './config/memory-sides';
import { createMemoryClient, type ResilientMemoryClient } from './memory';
import type { BreakerStateName } from './memory/types';

export type HealthService = 'memory' | 'memory-source' | 'memory-target' | 'api';
export type HealthLevel = 'ok' | 'slow' | 'down';

export const HEALTH_LABELS: Readonly<Record<HealthService, string>> = {
  memory: 'Memory server',
  'memory-source': 'Memory copy source',
  'memory-target': 'Memory copy target',
  api: 'Deployed API',
};

/** What to check: a service and where it is, or why its address is unknown. */
export interface HealthTarget {
  service: HealthService;
  /** A URL, or the command of an MCP server over stdio. */
  endpoint?: string;
  /** Why there is no endpoint (an endpoint rule that does not resolve here). */
  error?: string;
  /** A store of the copy: reached over its own transport (memory.source / memory.target). */
  side?: MemorySide;
}

export interface HealthCheck {
  service: HealthService;
  label: string;
  endpoint: string;
  level: HealthLevel;
  /** The round trip of the check; absent when nothing answered. */
  latencyMs?: number;
  /** The latency target of config.validation.targets the round trip is judged against. */
  targetMs: number;
  /** The memory client's circuit breaker. */
  breaker?: BreakerStateName;
  message: string;
  /** What to do about it, when that is known (a refused API key). */
  fix?: string;
}

const KEY_FIX =
  'Give the memory API key: the variable ORCHESTRA_MEMORY_API_KEY, or "Orchestra: Set Memory API Key" in the editor.';

export interface HealthReport {
  checkedAt: string;
  /** The worst level of the checks; 'none' when there is nothing to check. */
  level: HealthLevel | 'none';
  checks: HealthCheck[];
  /**
   * Nothing was checked because nothing is configured yet (no config file, project or
   * memory endpoint): the built-in default address would only be a guess.
   */
  unconfigured?: boolean;
}

const RANK: Record<HealthLevel, number> = { ok: 0, slow: 1, down: 2 };

export function worstLevel(checks: readonly HealthCheck[]): HealthReport['level'] {
  if (checks.length === 0) return 'none';
  return checks.reduce<HealthLevel>((worst, c) => (RANK[c.level] > RANK[worst] ? c.level : worst), 'ok');
}

/**
 * The services of a resolved configuration: its memory server (unless the memory
 * transport has neither endpoint nor command), the copy's own source and its target when
 * set, and the deployed API when the state has its URL.
 */
export function healthTargets(resolved: ResolvedConfig, apiUrl?: string): HealthTarget[] {
  const { config } = resolved;
  const targets: HealthTarget[] = [];
  if (config.memory.transport === 'mcp-stdio') {
    if (config.memory.command) targets.push({ service: 'memory', endpoint: config.memory.command });
  } else if (config.memory.endpoint) {
    targets.push({ service: 'memory', endpoint: config.memory.endpoint });
  } else {
    try {
      targets.push({ service: 'memory', endpoint: resolved.endpoint('memory') });
    } catch (error) {
      targets.push({ service: 'memory', error: errorMessage(error) });
    }
  }
  // The copy's stores, each over its own transport: the source when it is not the memory
  // server itself, the target when one is named.
  const { source, target } = memorySides(config);
  const sourceNamed = Boolean(config.memory.source) || Boolean(config.phases.memorySystem.sourceEndpoint);
  const sourceAt = source.transport === 'mcp-stdio' ? describeSide(source) : source.endpoint;
  if (sourceNamed && sourceAt && sourceAt !== targets[0]?.endpoint)
    targets.push({ service: 'memory-source', endpoint: sourceAt, side: source });
  const targetAt =
    target.transport === 'mcp-stdio' ? (target.command ? describeSide(target) : undefined) : target.endpoint;
  if (targetAt) targets.push({ service: 'memory-target', endpoint: targetAt, side: target });
  if (apiUrl) targets.push({ service: 'api', endpoint: apiUrl });
  return targets;
}

/**
 * Whether a folder says anything about its services: a config file, a project, or a memory
 * endpoint from a setting or a variable. A passive check (the status bar) waits for one.
 */
export function isConfigured(resolved: ResolvedConfig): boolean {
  const { config } = resolved;
  return (
    resolved.files.length > 0 ||
    config.projectId !== '' ||
    Boolean(config.memory.endpoint) ||
    Boolean(config.phases.memorySystem.targetEndpoint) ||
    Boolean(config.memory.source ?? config.memory.target) ||
    (resolved.provenance('endpoints.memory')?.layer ?? 'defaults') !== 'defaults'
  );
}

export interface HealthCheckerOptions {
  logger?: Logger;
}

export interface CheckInput {
  config: OrchestraConfig;
  targets: readonly HealthTarget[];
  /** The memory API key (editor secret storage or ORCHESTRA_MEMORY_API_KEY); sent to the memory servers only. */
  apiKey?: string;
  /** The key for one memory endpoint when it differs by endpoint (the workspace's key guard); overrides apiKey. */
  apiKeyFor?: (endpoint: string | undefined) => string | undefined;
  signal?: AbortSignal;
}

/** Round trips timed per service and check, after one uncounted warm-up call (a new connection's handshake). */
export const HEALTH_SAMPLES = 5;
/** Checks in a row whose median is over target before a service is called slow. */
export const SLOW_AFTER_CHECKS = 2;

export interface LatencyJudgement {
  medianMs: number;
  /** Checks in a row, this one included, whose median was over the target. */
  overTarget: number;
  level: 'ok' | 'slow';
}

/**
 * One slow round trip is noise (a GC pause, a busy machine); a service is slow when the
 * median of a check's samples is over its target, check after check.
 */
export function judgeLatency(samplesMs: readonly number[], targetMs: number, overBefore: number): LatencyJudgement {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  const medianMs = Math.round(median * 10) / 10;
  const overTarget = medianMs > targetMs ? overBefore + 1 : 0;
  return { medianMs, overTarget, level: overTarget >= SLOW_AFTER_CHECKS ? 'slow' : 'ok' };
}

function latencyMessage(j: LatencyJudgement, targetMs: number, okText: string): string {
  const median = `median ${j.medianMs} ms of ${HEALTH_SAMPLES}`;
  if (j.level === 'slow')
    return `answered in ${median}, over its target of ${targetMs} ms in ${j.overTarget} checks in a row`;
  if (j.overTarget > 0) return `${okText}; ${median}, over its target of ${targetMs} ms in this check only`;
  return okText;
}

export class HealthChecker {
  private readonly clients = new Map<string, Promise<ResilientMemoryClient>>();
  /** Per service and endpoint: checks in a row over target. */
  private readonly overTarget = new Map<string, number>();
  private folder?: Promise<string>;
  private opened = 0;
  private closed = false;

  constructor(private readonly options: HealthCheckerOptions = {}) {}

  /** Checks every target at once; never throws for a service that is down. */
  async check(input: CheckInput): Promise<HealthReport> {
    if (this.closed) throw new Error('the health checker is closed');
    await this.dropClientsNotIn(input);
    const checks = await Promise.all(input.targets.map((t) => this.checkOne(t, input)));
    return { checkedAt: new Date().toISOString(), level: worstLevel(checks), checks };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.closeClients([...this.clients.keys()]);
    if (this.folder) await rm(await this.folder, { recursive: true, force: true }).catch(() => undefined);
  }

  private async checkOne(target: HealthTarget, input: CheckInput): Promise<HealthCheck> {
    const label = HEALTH_LABELS[target.service];
    const targetMs =
      target.service === 'api' ? input.config.validation.targets.apiMs : input.config.validation.targets.memoryReadMs;
    if (!target.endpoint) {
      return { service: target.service, label, endpoint: '', level: 'down', targetMs, message: target.error ?? '' };
    }
    const base = { service: target.service, label, endpoint: target.endpoint, targetMs };
    if (target.service === 'api') return { ...base, ...(await this.checkApi(target.endpoint, input, targetMs)) };
    let client: ResilientMemoryClient;
    try {
      client = await this.client(target, input);
    } catch (error) {
      return { ...base, level: 'down', message: errorMessage(error) };
    }
    const samples: number[] = [];
    let health = await client.health();
    for (let i = 0; health.ok && i < HEALTH_SAMPLES; i++) {
      health = await client.health();
      if (health.ok) samples.push(health.latencyMs ?? 0);
    }
    const key = `${target.service} ${target.endpoint}`;
    if (!health.ok) {
      this.overTarget.delete(key);
      const message = health.message ?? 'unreachable';
      const refused = /\b(401|403)\b/.test(message);
      return { ...base, level: 'down', breaker: health.breaker, message, ...(refused ? { fix: KEY_FIX } : {}) };
    }
    const judged = judgeLatency(samples, targetMs, this.overTarget.get(key) ?? 0);
    this.overTarget.set(key, judged.overTarget);
    return {
      ...base,
      level: judged.level,
      latencyMs: judged.medianMs,
      breaker: health.breaker,
      message: latencyMessage(judged, targetMs, health.message ?? 'reachable'),
    };
  }

  /**
   * A warm-up call, then HEALTH_SAMPLES timed ones, each with an ID token for the service's
   * URL. Only a success status counts as up: a 403 from a private service or a 404 is an
   * answer, but not the service working.
   */
  private async checkApi(
    url: string,
    input: CheckInput,
    targetMs: number,
  ): Promise<Pick<HealthCheck, 'level' | 'latencyMs' | 'message' | 'fix'>> {
    const key = `api ${url}`;
    const samples: number[] = [];
    let status = 0;
    for (let i = 0; i <= HEALTH_SAMPLES; i++) {
      const answer = await this.callApi(url, input, targetMs);
      if ('down' in answer) {
        this.overTarget.delete(key);
        return answer.down;
      }
      status = answer.status;
      if (i > 0) samples.push(answer.latencyMs);
    }
    const judged = judgeLatency(samples, targetMs, this.overTarget.get(key) ?? 0);
    this.overTarget.set(key, judged.overTarget);
    return {
      level: judged.level,
      latencyMs: judged.medianMs,
      message: latencyMessage(judged, targetMs, `answered ${status}`),
    };
  }

  /** One call with an ID token for the URL; anything but a success is the check's verdict. */
  private async callApi(
    url: string,
    input: CheckInput,
    targetMs: number,
  ): Promise<
    { status: number; latencyMs: number } | { down: Pick<HealthCheck, 'level' | 'latencyMs' | 'message' | 'fix'> }
  > {
    const timeout = AbortSignal.timeout(Math.max(input.config.memory.timeoutMs, targetMs * 10));
    const signal = input.signal ? AbortSignal.any([input.signal, timeout]) : timeout;
    // The token is fetched before the clock starts: its cost is not the API's latency.
    const auth = await idTokenAuthorization(url, { gcp: input.config.gcp, signal }).then(
      (authorization) => ({ authorization }),
      (error: unknown) => ({ problem: errorMessage(error) }),
    );
    const headers: Record<string, string> = 'authorization' in auth ? { authorization: auth.authorization } : {};
    const started = performance.now();
    try {
      const response = await fetch(url, { signal, redirect: 'manual', headers });
      await response.arrayBuffer();
      const latencyMs = Math.round((performance.now() - started) * 10) / 10;
      if (response.status < 400) return { status: response.status, latencyMs };
      const message = `answered ${response.status} ${response.statusText}`.trimEnd();
      const refused = response.status === 401 || response.status === 403;
      return {
        down: {
          level: 'down',
          latencyMs,
          message,
          ...(refused
            ? {
                fix:
                  'problem' in auth
                    ? `No ID token could be made for it (${auth.problem}); a private Cloud Run service wants one for its URL.`
                    : 'The service refuses the ID token: the caller needs roles/run.invoker on it.',
              }
            : {}),
        },
      };
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause;
      const why = timeout.aborted ? 'no answer in time' : errorMessage(cause ?? error);
      return { down: { level: 'down', message: why } };
    }
  }

  /** The client of a memory target; created on first use and kept while its settings stay the same. */
  private client(target: HealthTarget, input: CheckInput): Promise<ResilientMemoryClient> {
    const key = clientKey(target, input);
    let client = this.clients.get(key);
    if (!client) {
      client = (async () => {
        const dir = await this.outboxFolder();
        const side = target.side;
        return createMemoryClient({
          config: side
            ? { ...input.config.memory, transport: side.transport, command: side.command, args: side.args }
            : input.config.memory,
          endpoint: (side?.transport ?? input.config.memory.transport) === 'mcp-stdio' ? undefined : target.endpoint,
          ...(side ? { env: side.env } : {}),
          breaker: input.config.breaker,
          apiKey: keyOf(target, input),
          logger: this.options.logger,
          outboxDir: path.join(dir, String(++this.opened)),
        });
      })();
      // A client that failed to open is not kept: the next check tries again.
      client.catch(() => this.clients.delete(key));
      this.clients.set(key, client);
    }
    return client;
  }

  private outboxFolder(): Promise<string> {
    return (this.folder ??= mkdtemp(path.join(tmpdir(), 'orchestra-health-')));
  }

  /** Clients for endpoints or settings no longer checked are closed (their pools, breakers, processes). */
  private async dropClientsNotIn(input: CheckInput): Promise<void> {
    const wanted = new Set(input.targets.filter((t) => t.service !== 'api').map((t) => clientKey(t, input)));
    await this.closeClients([...this.clients.keys()].filter((k) => !wanted.has(k)));
  }

  private async closeClients(keys: string[]): Promise<void> {
    await Promise.all(
      keys.map(async (key) => {
        const client = this.clients.get(key);
        this.clients.delete(key);
        await client?.then((c) => c.close()).catch(() => undefined);
      }),
    );
  }
}

/** Everything a client is built from: a change of any of it means a new client. */
function clientKey(target: HealthTarget, input: CheckInput): string {
  return JSON.stringify([
    target.service,
    target.endpoint,
    target.side ?? null,
    input.config.memory,
    input.config.breaker,
    keyOf(target, input) ?? '',
  ]);
}

function keyOf(target: HealthTarget, input: CheckInput): string | undefined {
  return input.apiKeyFor ? input.apiKeyFor(target.endpoint) : input.apiKey;
}

/** The report as lines of text (the command line's `health`). */
export function formatHealth(report: HealthReport): string {
  if (report.checks.length === 0) return 'Nothing to check: no memory server is configured.';
  const lines = report.checks.map((c) => {
    const status = c.level === 'ok' ? 'ok' : c.level === 'slow' ? 'SLOW' : 'DOWN';
    const latency = c.latencyMs !== undefined ? ` ${c.latencyMs} ms (target ${c.targetMs} ms)` : '';
    const breaker = c.breaker && c.breaker !== 'closed' ? `, breaker ${c.breaker}` : '';
    const indent = ' '.repeat(27);
    const fix = c.fix ? `\n${indent}Fix: ${c.fix}` : '';
    return `${c.label.padEnd(20)} ${status.padEnd(5)} ${c.endpoint || '(no endpoint)'}${latency}${breaker}\n${indent}${c.message}${fix}`;
  });
  return lines.join('\n');
}
