/**
 * The resilient memory client: every call through the endpoint's policy (retry,
 * breaker, timeout, bulkhead); reads fall back to the last known value while the
 * server is away; writes the server cannot take go to the durable outbox and are
 * replayed in order when the breaker closes. Writes never overtake the outbox, so
 * per-key order holds across an outage and a restart.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { isBrokenCircuitError } from 'cockatiel';
import type { BreakerConfig, MemoryConfig } from '../config/types';
import { nullLogger, type Logger } from '../logger';
import { redactingLogger } from '../logging/loggers';
import { createRedactor, type Redactor } from '../logging/redact';
import { BreakerRegistry, type BreakerInfo, type Disposable } from '../resilience/registry';
import { createPolicy, DEFAULT_BREAKER_CONFIG, type AttemptContext, type ResiliencePolicy } from '../resilience/policy';
import { isTransientError } from '../resilience/transient';
import { MemoryProtocolError, MemoryUnavailableError } from './errors';
import { HttpMemoryTransport } from './http-transport';
import { BoundedMap } from '../util/bounded-map';
import { SingleFlight } from '../util/single-flight';
import { McpMemoryTransport } from './mcp-transport';
import { Outbox, type OutboxEntry } from './outbox';
import type { CallContext, MemoryTransport, TransportStatus, WriteOperation } from './transport';
import type {
  ChangeMark,
  ChangePage,
  StoreDigestInfo,
  SearchOptions,
  SearchResult,
  DeleteOptions,
  JsonValue,
  ListOptions,
  ListPage,
  MemoryClient,
  MemoryHealth,
  MemoryRecord,
  SetManyOptions,
  SetManyRecord,
  SetOptions,
  TextListOptions,
  TextPage,
  WriteResult,
} from './types';

/** The batch route's documented cap (docs/memory-api.md): larger batches are split. */
export const MAX_WRITE_BATCH = 1000;

export interface MemoryClientOptions {
  config: MemoryConfig;
  /** The resolved endpoint (getEndpoint('memory')); wins over config.endpoint. */
  endpoint?: string;
  breaker?: Partial<BreakerConfig>;
  registry?: BreakerRegistry;
  /** From the editor's secret storage or ORCHESTRA_MEMORY_API_KEY; never from a config file. */
  apiKey?: string;
  logger?: Logger;
  redactor?: Redactor;
  /** Absolute outbox folder; default config.outboxDir resolved against `cwd`. */
  outboxDir?: string;
  cwd?: string;
  /** Last known values kept for stale reads (default 1000). */
  cacheSize?: number;
  /** mcp-stdio: extra environment for the server process. */
  env?: Record<string, string>;
  /** Writes replayed per request when the server offers the batch route (default 200). */
  replayBatchSize?: number;
  /** Records per request of `setMany` on the batch route (default and maximum MAX_WRITE_BATCH). */
  writeBatchSize?: number;
  /** Test and benchmark hook: a ready transport instead of one built from config. */
  transport?: MemoryTransport;
}

export interface ResilientMemoryClient extends MemoryClient {
  readonly endpoint: string;
  readonly breakerName: string;
  readonly policy: ResiliencePolicy;
  /** Writes waiting in the outbox. */
  readonly pendingWrites: number;
  /** Always present here (optional in MemoryClient): without the batch route it writes record by record. */
  setMany(records: SetManyRecord[], options?: SetManyOptions): Promise<WriteResult[]>;
  /** Always present here: texts the transport cannot send as they are are parsed and go through setMany. */
  setTexts(texts: string[], idempotencyKeys: string[], options?: { signal?: AbortSignal }): Promise<WriteResult[]>;
  /** Present on every client; undefined where the server cannot serve texts. */
  listTexts(prefix: string, cursor: string | undefined, options: TextListOptions): Promise<TextPage | undefined>;
}

export async function createMemoryClient(options: MemoryClientOptions): Promise<ResilientMemoryClient> {
  const redactor = options.redactor ?? createRedactor();
  redactor.addSecret(options.apiKey);
  const transport = options.transport ?? createTransport(options);
  const cwd = options.cwd ?? process.cwd();
  const outboxDir = options.outboxDir ?? path.resolve(cwd, options.config.outboxDir || '.orchestra/outbox');
  const outbox = await Outbox.open(outboxDir, `${transport.kind} ${transport.endpoint}`);
  const client = new Client(transport, outbox, options, redactor);
  client.start();
  return client;
}

/** memory.timeoutMs, else the breaker's per-call timeout: one rule for the policy and the sockets. */
function callTimeoutMs(options: MemoryClientOptions): number {
  return options.config.timeoutMs || options.breaker?.timeoutMs || DEFAULT_BREAKER_CONFIG.timeoutMs;
}

function createTransport(options: MemoryClientOptions): MemoryTransport {
  const { config } = options;
  const endpoint = options.endpoint ?? config.endpoint;
  if (config.transport === 'http') {
    if (!endpoint) {
      throw new MemoryProtocolError('MEMORY_BAD_ENDPOINT', 'no memory endpoint is configured', {
        fix: 'set memory.endpoint or endpoints.memory, or run `orchestra-migrate sandbox` for a local one',
      });
    }
    return new HttpMemoryTransport({
      endpoint,
      apiKey: options.apiKey,
      poolSize: config.poolSize,
      timeoutMs: callTimeoutMs(options),
    });
  }
  return new McpMemoryTransport({
    kind: config.transport,
    endpoint,
    command: config.command,
    args: config.args,
    env: options.env ?? config.env,
    cwd: options.cwd,
    apiKey: options.apiKey,
    startTimeoutMs: config.startTimeoutMs,
  });
}

class Client implements ResilientMemoryClient {
  readonly endpoint: string;
  readonly breakerName: string;
  readonly policy: ResiliencePolicy;
  /** Search has a breaker and bulkhead of its own: a failing index must not stop key/value reads. */
  readonly searchBreakerName: string;
  private searchPolicy: ResiliencePolicy | undefined;
  private readonly breakerConfig: BreakerConfig;
  private readonly logger: Logger;
  private readonly registry: BreakerRegistry;
  private readonly ownsRegistry: boolean;
  private readonly cache: BoundedMap<string, MemoryRecord | null>;
  private readonly subscription: Disposable;
  private features: Promise<TransportStatus> | undefined;
  private readonly draining = new SingleFlight(() => this.drainOrRetry());
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = 0;
  /** After a refused batch, replay one by one up to this sequence, to find the write at fault. */
  private singleThrough = 0;
  private closed = false;

  constructor(
    private readonly transport: MemoryTransport,
    private readonly outbox: Outbox,
    private readonly options: MemoryClientOptions,
    private readonly redactor: Redactor,
  ) {
    this.endpoint = transport.endpoint;
    this.breakerName = `memory:${transport.endpoint}`;
    this.logger = redactingLogger(options.logger ?? nullLogger, redactor);
    this.ownsRegistry = !options.registry;
    this.registry = options.registry ?? new BreakerRegistry(redactor);
    // A shared registry shows failure messages in the UI: it must know this client's key too.
    this.registry.redactor.addSecret(options.apiKey);
    const breaker: BreakerConfig = {
      ...DEFAULT_BREAKER_CONFIG,
      ...options.breaker,
      retry: { ...DEFAULT_BREAKER_CONFIG.retry, ...options.breaker?.retry },
      timeoutMs: callTimeoutMs(options),
    };
    this.policy = acquirePolicy(this.registry, this.breakerName, () =>
      createPolicy(this.breakerName, breaker, this.registry, { logger: this.logger, timeout: transport.timeout }),
    );
    this.breakerConfig = breaker;
    this.searchBreakerName = `memory-search:${transport.endpoint}`;
    this.cache = new BoundedMap(options.cacheSize ?? 1000);
    this.subscription = this.registry.onDidChange((info) => this.onBreakerChange(info));
  }

  /**
   * One call through `policy`, after the transport's start: an MCP server's start has a limit
   * of its own (memory.startTimeoutMs), so a cold start does not use up the call's timeout.
   */
  private execute<T>(
    policy: ResiliencePolicy,
    fn: (call: AttemptContext) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    if (!this.transport.open) return policy.execute(fn, signal);
    return this.transport.open(signal).then(() => policy.execute(fn, signal));
  }

  get pendingWrites(): number {
    return this.outbox.size;
  }

  start(): void {
    // A restart keeps the outbox: replay what a previous run left.
    if (this.outbox.size > 0) {
      this.logger.info(`memory: ${this.outbox.size} queued writes from an earlier run; replaying to ${this.endpoint}`);
      void this.kick();
    }
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<MemoryRecord | undefined> {
    const queued = this.outbox.latest(key);
    // Read your own writes: a queued write is newer than anything the server holds.
    if (queued) return queued.op === 'set' ? entryRecord(queued) : undefined;
    if (this.breakerBlocks()) return this.fallback(key, undefined);
    try {
      const record = await this.execute(this.policy, (call) => this.transport.get(key, call), options.signal);
      this.cache.set(key, record ?? null);
      return record;
    } catch (error) {
      if (!this.isOutage(error)) throw this.clean(error);
      return this.fallback(key, error);
    }
  }

  async search(query: string | number[], options: SearchOptions = {}): Promise<SearchResult> {
    if (!this.transport.search) {
      throw new MemoryProtocolError('MEMORY_NO_SEARCH', `the memory server at ${this.endpoint} offers no search`, {
        where: this.endpoint,
        fix: "use the Orchestra Memory API (its 'search' feature) or an MCP server with search_nodes",
      });
    }
    const { signal, ...rest } = options;
    try {
      return await this.execute(this.searchPolicyOnce(), (call) => this.transport.search!(query, rest, call), signal);
    } catch (error) {
      if (!isBrokenCircuitError(error)) throw this.clean(error);
      throw new MemoryUnavailableError(`vector search at ${this.endpoint} is unavailable (its circuit is open)`, {
        where: this.searchBreakerName,
        fix: 'search is retried when the breaker probes again; key/value reads and writes are not affected',
        cause: error,
      });
    }
  }

  /** A quarter of the endpoint's concurrency at most: searches are the expensive calls. */
  private searchPolicyOnce(): ResiliencePolicy {
    this.searchPolicy ??= acquirePolicy(this.registry, this.searchBreakerName, () =>
      createPolicy(
        this.searchBreakerName,
        { ...this.breakerConfig, maxConcurrency: Math.max(1, Math.floor(this.breakerConfig.maxConcurrency / 4)) },
        this.registry,
        { logger: this.logger, timeout: this.transport.timeout },
      ),
    );
    return this.searchPolicy;
  }

  /** The last known value, marked stale, or a clear "unavailable" error. */
  private fallback(key: string, error: unknown): MemoryRecord | undefined {
    const last = this.cache.get(key);
    if (last !== undefined) {
      this.logger.debug(`memory: serving the last known value of '${key}' (server unavailable)`);
      return last === null ? undefined : { ...last, stale: true };
    }
    throw this.unavailable(error);
  }

  set(key: string, content: JsonValue, options: SetOptions = {}): Promise<WriteResult> {
    const op: WriteOperation = { op: 'set', key, content, id: options.idempotencyKey ?? randomUUID() };
    if (options.scope !== undefined) op.scope = options.scope;
    if (options.ttl !== undefined) op.ttl = options.ttl;
    return this.write(op, options.signal);
  }

  async setMany(records: SetManyRecord[], options: SetManyOptions = {}): Promise<WriteResult[]> {
    if (this.closed) throw new MemoryProtocolError('MEMORY_CLOSED', `the memory client for ${this.endpoint} is closed`);
    // Ids are fixed here, before any attempt: a retried batch, or its replay from the outbox,
    // carries the same ids, so the server applies each record once even if an answer was lost.
    const ops = records.map(setOperation);
    return this.writeOperations(ops, options.remember ?? true, options.signal);
  }

  /**
   * Writes prepared operations in the order given: behind anything the outbox holds, one
   * at a time where the server has no batch route, else in batches.
   */
  private async writeOperations(
    ops: WriteOperation[],
    remember: boolean,
    signal: AbortSignal | undefined,
  ): Promise<WriteResult[]> {
    if (ops.length === 0) return [];
    if (this.outbox.size > 0 || this.breakerBlocks()) return this.enqueueMany(ops, remember);
    if (!(await this.batchSupported())) {
      // In order, one at a time: two records of one key must land in the order given.
      const results: WriteResult[] = [];
      for (const op of ops) results.push(await this.write(op, signal, remember));
      return results;
    }
    return this.writeInChunks(
      ops.length,
      (start, end, call) => this.transport.writeBatch!(ops.slice(start, end), call),
      (start) => ops.slice(start),
      (start, end) => {
        for (let i = start; i < end; i++) this.keep(ops[i], remember);
      },
      remember,
      signal,
    );
  }

  async listTexts(prefix: string, cursor: string | undefined, options: TextListOptions): Promise<TextPage | undefined> {
    const features = this.transport.listTexts ? await this.knownFeatures() : [];
    if (!features.includes('ndjson')) return undefined;
    const partial = features.includes('fields');
    try {
      return await this.execute(
        this.policy,
        (call) => this.transport.listTexts!(prefix, cursor, { limit: options.limit, partial }, call),
        options.signal,
      );
    } catch (error) {
      throw this.isOutage(error) ? this.unavailable(error) : this.clean(error);
    }
  }

  async setTexts(texts: string[], ids: string[], options: { signal?: AbortSignal } = {}): Promise<WriteResult[]> {
    if (this.closed) throw new MemoryProtocolError('MEMORY_CLOSED', `the memory client for ${this.endpoint} is closed`);
    if (texts.length !== ids.length) {
      throw new MemoryProtocolError('MEMORY_BAD_CALL', `setTexts: ${texts.length} records but ${ids.length} ids`);
    }
    if (texts.length === 0) return [];
    // Anything but the plain path (texts sent as they are) goes through setMany, parsed:
    // the outbox keeps content, and a server without the batch route takes single writes.
    const plain =
      this.transport.writeTexts && this.outbox.size === 0 && !this.breakerBlocks() && (await this.batchSupported());
    if (!plain) return this.setMany(textRecords(texts, ids, 0), { signal: options.signal, remember: false });
    return this.writeInChunks(
      texts.length,
      (start, end, call) => this.transport.writeTexts!(texts.slice(start, end), ids.slice(start, end), call),
      (start) => textRecords(texts, ids, start).map(setOperation),
      (start, end) => {
        // Not remembered (a bulk load), but a cached value of a written key must not stay.
        if (this.cache.size > 0) for (let i = start; i < end; i++) this.cache.delete(textRecord(texts[i], '', i).key);
      },
      false,
      options.signal,
    );
  }

  /**
   * Writes `count` records through the batch route in requests of at most writeBatchSize.
   * Once anything waits in the outbox (our outage or another caller's), the rest queues
   * behind it, as set does, so no write overtakes an earlier one.
   */
  private async writeInChunks(
    count: number,
    send: (start: number, end: number, call: CallContext) => Promise<void>,
    operationsFrom: (start: number) => WriteOperation[],
    delivered: (start: number, end: number) => void,
    remember: boolean,
    signal: AbortSignal | undefined,
  ): Promise<WriteResult[]> {
    const size = Math.min(Math.max(1, this.options.writeBatchSize ?? MAX_WRITE_BATCH), MAX_WRITE_BATCH);
    const results: WriteResult[] = [];
    for (let start = 0; start < count; start += size) {
      if (this.outbox.size > 0 || this.breakerBlocks()) {
        results.push(...(await this.enqueueMany(operationsFrom(start), remember)));
        break;
      }
      const end = Math.min(start + size, count);
      try {
        await this.execute(this.policy, (call) => send(start, end, call), signal);
      } catch (error) {
        if (!this.isOutage(error) || signal?.aborted) throw this.clean(error);
        this.logger.debug(`memory: batch of ${count - start} writes queued (${errorText(error)})`);
        results.push(...(await this.enqueueMany(operationsFrom(start), remember)));
        break;
      }
      delivered(start, end);
      for (let i = start; i < end; i++) results.push(DELIVERED);
    }
    return results;
  }

  async deleteMany(
    keys: { key: string; idempotencyKey?: string }[],
    options: { signal?: AbortSignal } = {},
  ): Promise<WriteResult[]> {
    if (this.closed) throw new MemoryProtocolError('MEMORY_CLOSED', `the memory client for ${this.endpoint} is closed`);
    const ops: WriteOperation[] = keys.map((k) => ({ op: 'delete', key: k.key, id: k.idempotencyKey ?? randomUUID() }));
    return this.writeOperations(ops, false, options.signal);
  }

  delete(key: string, options: DeleteOptions = {}): Promise<WriteResult> {
    return this.write({ op: 'delete', key, id: options.idempotencyKey ?? randomUUID() }, options.signal);
  }

  async list(prefix = '', cursor?: string, options: ListOptions = {}): Promise<ListPage> {
    const limit = options.limit ?? 100;
    const includeContent = options.includeContent ?? false;
    // Records trimmed to what a MemoryRecord from a list holds, where the server can.
    const partial = includeContent && (await this.knownFeatures()).includes('fields');
    try {
      return await this.execute(
        this.policy,
        (call) => this.transport.list(prefix, cursor, { limit, includeContent, partial }, call),
        options.signal,
      );
    } catch (error) {
      throw this.isOutage(error) ? this.unavailable(error) : this.clean(error);
    }
  }

  async digest(options: { signal?: AbortSignal } = {}): Promise<StoreDigestInfo | undefined> {
    if (!this.transport.digest || !(await this.knownFeatures()).includes('digest')) return undefined;
    return this.read((call) => this.transport.digest!(call), options.signal);
  }

  async changeMark(options: { signal?: AbortSignal } = {}): Promise<ChangeMark | undefined> {
    if (!this.transport.changes) return undefined;
    const status = await this.read((call) => this.transport.status(call), options.signal);
    return status.features.includes('changes') ? status.changes : undefined;
  }

  async changes(since: ChangeMark, options: { limit: number; signal?: AbortSignal }): Promise<ChangePage | undefined> {
    if (!this.transport.changes || !(await this.knownFeatures()).includes('changes')) return undefined;
    return this.read((call) => this.transport.changes!(since, options.limit, call), options.signal);
  }

  async setReadOnly(readOnly: boolean, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    if (!this.transport.setReadOnly || !(await this.knownFeatures()).includes('read-only')) return false;
    await this.read((call) => this.transport.setReadOnly!(readOnly, call), options.signal);
    return true;
  }

  async readOnlyMode(options: { signal?: AbortSignal } = {}): Promise<boolean | undefined> {
    if (!this.transport.setReadOnly) return undefined;
    // Asked fresh: another process (a cutover, its rollback) may have switched it.
    const status = await this.read((call) => this.transport.status(call), options.signal);
    return status.features.includes('read-only') ? (status.readOnly ?? false) : undefined;
  }

  /** A call through the policy whose outage is reported as such (no fallback value to serve). */
  private async read<T>(fn: (call: CallContext) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    try {
      return await this.execute(this.policy, fn, signal);
    } catch (error) {
      throw this.isOutage(error) ? this.unavailable(error) : this.clean(error);
    }
  }

  async health(): Promise<MemoryHealth> {
    const info = this.registry.get(this.breakerName);
    const base = {
      endpoint: this.endpoint,
      transport: this.transport.kind,
      pendingWrites: this.outbox.size,
    };
    if (info && (info.state === 'isolated' || (info.state === 'open' && !info.probeDue))) {
      return { ...base, ok: false, breaker: info.state, message: this.redactor.redact(this.outageText(info)) };
    }
    const started = performance.now();
    try {
      const status = await this.execute(this.policy, (call) => this.transport.status(call));
      this.features = Promise.resolve(status);
      const latencyMs = Math.round((performance.now() - started) * 10) / 10;
      const pending = this.outbox.size > 0 ? `; ${this.outbox.size} writes waiting to be replayed` : '';
      return {
        ...base,
        ok: true,
        breaker: this.state(),
        latencyMs,
        ...(status.records !== undefined ? { records: status.records } : {}),
        ...(status.stats ? { stats: status.stats } : {}),
        message: `reachable${pending}${status.limitations ? `; ${status.limitations}` : ''}`,
      };
    } catch (error) {
      this.clean(error);
      return { ...base, ok: false, breaker: this.state(), message: this.redactor.redact(errorText(error)) };
    }
  }

  async flush(): Promise<number> {
    await this.draining.current;
    return this.kick();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.subscription.dispose();
    await this.draining.current;
    releasePolicy(this.registry, this.breakerName, this.policy);
    if (this.searchPolicy) releasePolicy(this.registry, this.searchBreakerName, this.searchPolicy);
    if (this.ownsRegistry) this.registry.dispose();
    await this.outbox.close();
    await this.transport.close();
  }

  private async write(op: WriteOperation, signal?: AbortSignal, remember = true): Promise<WriteResult> {
    if (this.closed) throw new MemoryProtocolError('MEMORY_CLOSED', `the memory client for ${this.endpoint} is closed`);
    if (this.outbox.size > 0 || this.breakerBlocks()) return this.enqueue(op, remember);
    try {
      await this.execute(this.policy, (call) => this.transport.write(op, call), signal);
    } catch (error) {
      if (!this.isOutage(error) || signal?.aborted) throw this.clean(error);
      this.logger.debug(`memory: ${op.op} '${op.key}' queued (${errorText(error)})`);
      return this.enqueue(op, remember);
    }
    this.keep(op, remember);
    return { queued: false };
  }

  private async enqueue(op: WriteOperation, remember = true): Promise<WriteResult> {
    await this.outbox.append(op);
    this.keep(op, remember);
    void this.kick();
    return { queued: true };
  }

  private async enqueueMany(ops: WriteOperation[], remember = true): Promise<WriteResult[]> {
    await this.outbox.appendMany(ops);
    for (const op of ops) this.keep(op, remember);
    void this.kick();
    return ops.map(() => ({ queued: true }));
  }

  /** The batch route only where the transport has it and the server advertises it. */
  private async batchSupported(): Promise<boolean> {
    if (!this.transport.writeBatch) return false;
    return (await this.knownFeatures()).includes('batch');
  }

  private remember(op: WriteOperation): void {
    this.cache.set(op.key, op.op === 'set' ? entryRecord(op) : null);
  }

  /**
   * After a write: its value becomes the last known one, or (remember: false, a bulk load)
   * any older cached value of the key is dropped, so it cannot be served stale later.
   */
  private keep(op: WriteOperation, remember: boolean): void {
    if (remember) this.remember(op);
    else if (this.cache.size > 0) this.cache.delete(op.key);
  }

  /** Starts (or joins) one replay pass; resolves with the writes delivered by it. */
  private kick(): Promise<number> {
    if (this.closed) return Promise.resolve(0);
    return this.draining.run();
  }

  private async drainOrRetry(): Promise<number> {
    try {
      return await this.drain();
    } catch (error) {
      // The outbox file itself failed (disk full?): keep the entries in memory and say so.
      this.logger.error(`memory: replaying the outbox to ${this.endpoint} failed`, errorText(error));
      this.scheduleRetry();
      return 0;
    }
  }

  private async drain(): Promise<number> {
    let delivered = 0;
    while (this.outbox.size > 0 && !this.closed) {
      if (this.breakerBlocks()) return delivered; // the probe-due event kicks us again
      const batch = await this.nextBatch();
      try {
        await this.execute(this.policy, (call) =>
          batch.length === 1 || !this.transport.writeBatch
            ? this.transport.write(batch[0], call)
            : this.transport.writeBatch(batch, call),
        );
      } catch (error) {
        if (this.isOutage(error)) {
          this.scheduleRetry();
          return delivered;
        }
        if (batch.length > 1) {
          this.singleThrough = batch[batch.length - 1].seq;
          continue;
        }
        if (!isRefusedWrite(error)) {
          // Auth or protocol trouble is not the write's fault: keep it and try again later.
          this.logger.error(
            `memory: replay to ${this.endpoint} stopped; ${this.outbox.size} writes kept`,
            errorText(error),
          );
          this.scheduleRetry();
          return delivered;
        }
        // The server refuses this write for good (bad input): set it aside rather than block the queue.
        this.logger.error(
          `memory: the server refused a queued ${batch[0].op} of '${batch[0].key}'; kept in ${this.outbox.file}.rejected`,
          errorText(error),
        );
        await this.outbox.reject(batch[0], this.redactor.redact(errorText(error)));
        delivered++;
        continue;
      }
      await this.outbox.ack(batch[batch.length - 1].seq);
      delivered += batch.length;
      this.retryDelayMs = 0;
    }
    return delivered;
  }

  private async nextBatch(): Promise<OutboxEntry[]> {
    const size = this.options.replayBatchSize ?? 200;
    const head = this.outbox.peek(size);
    if (head.length <= 1 || !this.transport.writeBatch || head[0].seq <= this.singleThrough) return head.slice(0, 1);
    const features = await this.knownFeatures();
    return features.includes('batch') ? head : head.slice(0, 1);
  }

  private async knownFeatures(): Promise<string[]> {
    this.features ??= this.execute(this.policy, (call) => this.transport.status(call));
    try {
      return (await this.features).features;
    } catch {
      this.features = undefined;
      return [];
    }
  }

  /** Retries a stalled replay while the breaker stays closed (failures below its threshold). */
  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    this.retryDelayMs = Math.min(Math.max(this.retryDelayMs * 2, 250), 10_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.kick();
    }, this.retryDelayMs);
    this.retryTimer.unref();
  }

  private onBreakerChange(info: BreakerInfo): void {
    if (info.name !== this.breakerName || this.outbox.size === 0) return;
    // Deferred: calling through the breaker inside its own change event would reorder the events other listeners see.
    if (info.state === 'closed' || (info.state === 'open' && info.probeDue)) setImmediate(() => void this.kick());
  }

  /** True while the breaker refuses calls and no probe is due. */
  private breakerBlocks(): boolean {
    return this.registry.blocks(this.breakerName);
  }

  private state() {
    return this.registry.get(this.breakerName)?.state ?? 'closed';
  }

  private isOutage(error: unknown): boolean {
    return isBrokenCircuitError(error) || isTransientError(error);
  }

  private outageText(info: BreakerInfo): string {
    if (info.state === 'isolated') return `memory server at ${this.endpoint} is isolated by hand (circuit held open)`;
    return (
      `memory server at ${this.endpoint} is unavailable (circuit open since ${info.openedAt ?? '?'}, ` +
      `next probe at ${info.nextProbeAt ?? '?'})` +
      (info.lastFailure ? `; last failure: ${info.lastFailure.message}` : '')
    );
  }

  private unavailable(error: unknown | undefined): MemoryUnavailableError {
    const info = this.registry.get(this.breakerName);
    const message =
      info && (info.state === 'open' || info.state === 'isolated')
        ? this.outageText(info)
        : `memory server at ${this.endpoint} is unavailable: ${errorText(error)}`;
    // Redacted before construction, so the stack's first line is clean too; the cause gets its own pass.
    if (error !== undefined) this.clean(error);
    return new MemoryUnavailableError(this.redactor.redact(message), {
      where: this.redactor.redact(this.endpoint),
      fix: 'start the memory server (orchestra-migrate sandbox runs a local one) or check memory.endpoint; writes are queued meanwhile',
      cause: error,
    });
  }

  private clean<E>(error: E): E {
    return this.redactor.redactError(error);
  }
}

/**
 * One breaker per endpoint: clients of the same endpoint and registry (the status
 * bar's and a running copy's, say) share one policy, so they see one state.
 */
const sharedPolicies = new WeakMap<BreakerRegistry, Map<string, { policy: ResiliencePolicy; users: number }>>();

function acquirePolicy(registry: BreakerRegistry, name: string, create: () => ResiliencePolicy): ResiliencePolicy {
  let byName = sharedPolicies.get(registry);
  if (!byName) sharedPolicies.set(registry, (byName = new Map()));
  const shared = byName.get(name);
  if (shared && registry.has(name)) {
    shared.users++;
    return shared.policy;
  }
  const policy = create();
  byName.set(name, { policy, users: 1 });
  return policy;
}

function releasePolicy(registry: BreakerRegistry, name: string, policy: ResiliencePolicy): void {
  const byName = sharedPolicies.get(registry);
  const shared = byName?.get(name);
  if (shared?.policy === policy && --shared.users > 0) return;
  if (shared?.policy === policy) byName!.delete(name);
  registry.unregister(name, policy.breaker);
}

function isRefusedWrite(error: unknown): boolean {
  const status = (error as { status?: unknown }).status;
  return status === 400 || status === 413 || status === 422;
}

/** Shared by every delivered write of a batch: callers only read it. */
const DELIVERED: WriteResult = Object.freeze({ queued: false });

function setOperation(record: SetManyRecord): WriteOperation {
  const op: WriteOperation = {
    op: 'set',
    key: record.key,
    content: record.content,
    id: record.idempotencyKey ?? randomUUID(),
  };
  if (record.contentJson !== undefined) op.contentJson = record.contentJson;
  if (record.scope !== undefined) op.scope = record.scope;
  if (record.ttl !== undefined) op.ttl = record.ttl;
  return op;
}

/** The records of setTexts from `start` on, parsed (for the outbox and the per-record paths). */
function textRecords(texts: string[], ids: string[], start: number): SetManyRecord[] {
  const out = new Array<SetManyRecord>(texts.length - start);
  for (let i = start; i < texts.length; i++) out[i - start] = textRecord(texts[i], ids[i], i);
  return out;
}

function textRecord(text: string, id: string, index: number): SetManyRecord {
  let r: Partial<MemoryRecord> | undefined;
  try {
    r = JSON.parse(text) as Partial<MemoryRecord>;
  } catch {
    /* reported below */
  }
  if (typeof r !== 'object' || r === null || typeof r.key !== 'string' || !('content' in r)) {
    throw new MemoryProtocolError(
      'MEMORY_BAD_CALL',
      `setTexts: record ${index + 1} is not a JSON object with "key" and "content": ${text.slice(0, 80)}`,
    );
  }
  const record: SetManyRecord = { key: r.key, content: r.content as JsonValue, idempotencyKey: id };
  if (typeof r.scope === 'string') record.scope = r.scope;
  if (typeof r.ttl === 'number') record.ttl = r.ttl;
  return record;
}

function entryRecord(op: WriteOperation): MemoryRecord {
  // Assigned, not spread: this runs for every record a bulk copy writes.
  const record: MemoryRecord = { key: op.key, content: op.content ?? null };
  if (op.scope !== undefined) record.scope = op.scope;
  if (op.ttl !== undefined) record.ttl = op.ttl;
  return record;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
