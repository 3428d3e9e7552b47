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
import type { Logger } from './logger';
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
  // The copy reads from its own source when one is set apart from the memory server.
  const source = config.phases.memorySystem.sourceEndpoint;
  if (source && source !== targets[0]?.endpoint) targets.push({ service: 'memory-source', endpoint: source });
  const target = config.phases.memorySystem.targetEndpoint;
  if (target) targets.push({ service: 'memory-target', endpoint: target });
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
  signal?: AbortSignal;
}

export class HealthChecker {
  private readonly clients = new Map<string, Promise<ResilientMemoryClient>>();
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
    const health = await client.health();
    if (!health.ok) {
      const message = health.message ?? 'unreachable';
      const refused = /\b(401|403)\b/.test(message);
      return { ...base, level: 'down', breaker: health.breaker, message, ...(refused ? { fix: KEY_FIX } : {}) };
    }
    const latencyMs = health.latencyMs ?? 0;
    return {
      ...base,
      level: latencyMs <= targetMs ? 'ok' : 'slow',
      latencyMs,
      breaker: health.breaker,
      message: latencyMs <= targetMs ? (health.message ?? 'reachable') : `answered in ${latencyMs} ms, over its target`,
    };
  }

  /** Any HTTP answer below 500 means the service is up (a 401 or 404 still came from it); no credentials are sent. */
  private async checkApi(
    url: string,
    input: CheckInput,
    targetMs: number,
  ): Promise<Pick<HealthCheck, 'level' | 'latencyMs' | 'message'>> {
    const timeout = AbortSignal.timeout(Math.max(input.config.memory.timeoutMs, targetMs * 10));
    const signal = input.signal ? AbortSignal.any([input.signal, timeout]) : timeout;
    const started = performance.now();
    try {
      const response = await fetch(url, { signal, redirect: 'manual' });
      await response.arrayBuffer();
      const latencyMs = Math.round((performance.now() - started) * 10) / 10;
      if (response.status >= 500) return { level: 'down', latencyMs, message: `answered ${response.status}` };
      if (latencyMs > targetMs)
        return { level: 'slow', latencyMs, message: `answered in ${latencyMs} ms, over its target` };
      return { level: 'ok', latencyMs, message: `answered ${response.status}` };
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause;
      const why = timeout.aborted ? 'no answer in time' : errorMessage(cause ?? error);
      return { level: 'down', message: why };
    }
  }

  /** The client of a memory target; created on first use and kept while its settings stay the same. */
  private client(target: HealthTarget, input: CheckInput): Promise<ResilientMemoryClient> {
    const key = clientKey(target, input);
    let client = this.clients.get(key);
    if (!client) {
      client = (async () => {
        const dir = await this.outboxFolder();
        return createMemoryClient({
          config: input.config.memory,
          endpoint: input.config.memory.transport === 'mcp-stdio' ? undefined : target.endpoint,
          breaker: input.config.breaker,
          apiKey: input.apiKey,
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
    input.config.memory,
    input.config.breaker,
    input.apiKey ?? '',
  ]);
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
