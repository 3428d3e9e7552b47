/**
 * The application layer: one object per workspace folder that the command line, the
 * editor and the tests open. It loads the layered configuration, resolves every path
 * once, applies the memory API key rule, wires the clients to the engine, and answers
 * each use case (status, verify, execute, skip, reset, health, report, init). The CLI
 * and the extension only parse arguments or drive VS Code around one call here.
 *
 * Heavy modules (the engine with its cloud and memory clients, markdown-it, the health
 * checker) load on first use: `status --json` reads a state file only. They load with
 * require() of a literal path, not import(): esbuild bundles them as lazily initialised
 * modules, and tsx's CommonJS hook (the tests) resolves them from source.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import * as path from 'node:path';
import { describeConfig, describeEndpoints, type ConfigLine, type EndpointLine } from '../config/describe';
import { checkInitValues, initConfig, writeInitValues, type InitValues } from '../config/init';
import { COMMON_FILE, configDirFor, loadConfig } from '../config/load';
import { requireProject } from '../config/project';
import type { DeepPartial, EnvironmentKind, OrchestraConfig, ResolvedConfig } from '../config/types';
import { ConfigValidationError, formatIssue } from '../config/validate';
import type { EnvironmentDetection, EnvironmentProbes } from '../environment';
import { errorMessage } from '../errors';
import type { StepKind } from '../report/outcomes';
import type * as HealthModule from '../health';
import type { HealthChecker, HealthReport } from '../health';
import { nullLogger, type Logger } from '../logger';
import { redactingLogger } from '../logging/loggers';
import { openRunLog, teeLogger, type RunLog } from '../logging/run-log';
import { createRedactor } from '../logging/redact';
import { describeEvent, EngineEvents, type EngineEvent } from '../migration/events';
import type { ExecuteResult } from '../migration/executor';
import { StateFileMonitor } from '../migration/monitor';
import type { PhaseInfo } from '../migration/catalog';
import { builtInPhases } from '../migration/phases';
import type { Plan } from '../migration/planner';
import type { DestroyPlan, DestroyResult } from '../migration/destroy';
import type { Delta } from '../migration/memory-sync';
import type { CutoverPlan } from '../migration/cutover';
import type { CutoverOutcome } from '../migration/cutover-run';
import type { RollbackPlan } from '../migration/cutover-rollback';
import type { CutoverRecord } from '../migration/state';
import type { PhaseRegistry } from '../migration/registry';
import { configFingerprint, type SavedPlan } from '../migration/saved-plan';
import type * as StoreModule from '../migration/store';
import { workspacePaths, type WorkspacePaths } from './paths';
import { lastKnownState, usedEndpoints, type UsedEndpoint } from './endpoints-used';
import type * as ReportModule from './report';
import type * as SyncModule from './sync';
import type { ReportRequest, WorkspaceReport } from './report';
import { keyFor } from './key-guard';
import { checkMemoryRequest, type MemoryAnswer, type MemoryRequest } from './memory';
import type * as MemoryModule from './memory';
import { memoryApiKey } from './secrets';
import { readStatus, type StatusDocument } from './status';
import type { ConfigInput, Live, WorkspaceOptions } from './types';
import type * as WiringModule from './wiring';
import type { WorkspaceSession } from './wiring';

/** The configuration loaded, with the workspace's paths. */
export interface LoadedWorkspace {
  readonly resolved: ResolvedConfig;
  readonly config: OrchestraConfig;
  readonly projectId: string;
  readonly paths: WorkspacePaths;
}

/** What the editor's views show of a load: the project, its files and endpoints, or the problem. */
export type WorkspaceView =
  | {
      readonly ok: true;
      readonly configDir: string;
      readonly projectId: string;
      readonly stateFile?: string;
      readonly reportFile?: string;
      readonly endpoints: readonly EndpointLine[];
      /** Config files read, relative to the workspace folder, with forward slashes. */
      readonly files: readonly string[];
      /** The registered phases, in order. */
      readonly phases: readonly PhaseInfo[];
      /** The endpoints a run and the health check call now (not the defaults of services nobody set). */
      readonly used: readonly UsedEndpoint[];
      /** Every step of those phases for this configuration, in order (the tree lists them before any plan). */
      readonly steps: readonly StepInfo[];
      /** sha256 of the resolved configuration: a plan with another basis is stale. */
      readonly configHash: string;
    }
  | {
      readonly ok: false;
      readonly configDir: string;
      /**
       * The state file to show meanwhile: the last good load's, else the only one in the
       * default state folder. A config problem must not hide what the migration did.
       */
      readonly stateFile?: string;
      readonly projectId?: string;
      /** One line for the tree and the status bar. */
      readonly summary: string;
      /** Every problem, `file:line:column path: message` then expected and fix, for the log. */
      readonly details: string;
      readonly phases: readonly PhaseInfo[];
    };

/** A step as views list it before anything was planned or run. */
export interface StepInfo {
  readonly id: string;
  readonly phase: string;
  readonly title: string;
  readonly kind: 'resource' | 'action';
}

/** `orchestra-migrate config`: every value with its layer and source, the environment, the endpoints. */
export interface ConfigDescription {
  readonly environment: EnvironmentDetection;
  readonly files: readonly string[];
  readonly values: readonly ConfigLine[];
  readonly endpoints: readonly EndpointLine[];
}

export interface InitSummary {
  /** Paths relative to the workspace folder, with forward slashes. */
  readonly written: readonly string[];
  readonly skipped: readonly string[];
  readonly gitignore: 'added' | 'unchanged' | 'created';
  /** config/common.json, absolute: what to open next. */
  readonly commonFile: string;
  /** Keys init wrote into common.json from its options (projectId, location). */
  readonly set: readonly string[];
}

export interface RunRequest {
  readonly phases?: readonly string[];
  readonly signal?: AbortSignal;
}

export interface ExecuteRequest extends RunRequest {
  /** A plan verify saved: execute runs its phases, and stops when the project no longer matches it. */
  readonly plan?: SavedPlan;
  /** Where the plan came from, for errors. */
  readonly planFile?: string;
}

export interface VerifyResult {
  readonly plan: Plan;
}

export type WorkspaceExecuteResult = ExecuteResult & { readonly projectId: string; readonly stateFile: string };

export interface DestroyRequest extends RunRequest {
  /** Delete data-holding resources (database, bucket with objects, vector store) too. */
  readonly includeData?: boolean;
}

export type WorkspaceDestroyResult = DestroyResult & {
  readonly plan: DestroyPlan;
  readonly projectId: string;
  readonly stateFile: string;
};

export interface CutoverRequest {
  readonly signal?: AbortSignal;
}

/** A cutover's end: the record the state now holds, and whether it had been done before this call. */
export type WorkspaceCutoverResult = CutoverOutcome & { readonly projectId: string; readonly stateFile: string };

export type WorkspaceRollbackResult = {
  readonly record: CutoverRecord;
  readonly projectId: string;
  readonly stateFile: string;
};

/** A sync: the Memory System phase's run, and what its copy step moved (zero when nothing changed). */
export type WorkspaceSyncResult = WorkspaceExecuteResult & { readonly synced: Delta };

export interface Workspace {
  readonly folder: string;
  /** Every engine event of this workspace's runs, each with its line of text. */
  readonly events: WorkspaceEvents;
  /** The state file of the last load; undefined before one, or without a project. */
  readonly stateFile: string | undefined;
  /** The log file under log.dir of the last load; undefined before one. */
  readonly logFile: string | undefined;
  /** Opens this run's log file (log.dir, log.level); resolves with its path, or undefined without a loadable config. */
  startRunLog(name: string): Promise<string | undefined>;
  /** Closes the run's log file, so the next run (a long-lived editor's) starts one of its own. */
  endRunLog(): Promise<void>;
  /** The registered phases, in order (the built-in seven unless tuned). */
  phases(): readonly PhaseInfo[];
  /** Loads the configuration (every call reads the files again). */
  config(kind?: EnvironmentKind): Promise<LoadedWorkspace>;
  /** The load as the editor shows it: never throws for a configuration problem. */
  view(): Promise<WorkspaceView>;
  describe(kind?: EnvironmentKind): Promise<ConfigDescription>;
  status(): Promise<StatusDocument>;
  verify(request?: RunRequest & { readonly preflight?: boolean }): Promise<Plan>;
  execute(request?: ExecuteRequest): Promise<WorkspaceExecuteResult>;
  /** Read-only: what destroy would delete now (only what this migration created), in deletion order. */
  destroyPlan(request?: DestroyRequest): Promise<DestroyPlan>;
  /** Deletes what this migration created, dependants first, under the run lock; a rerun resumes. */
  destroy(request?: DestroyRequest): Promise<WorkspaceDestroyResult>;
  /**
   * Moves what changed on the source memory server since the last copy or sync (the
   * Memory System phase's run, embeddings with their records). Refused before the
   * first full copy finished: execute makes that.
   */
  sync(request?: Omit<RunRequest, 'phases'>): Promise<WorkspaceSyncResult>;
  /**
   * Read-only: what cutover would do now (source read-only or not, the final delta, the
   * settings switched file by file, the secret). Throws an InputError while there is
   * nothing to cut over to (no execute, no finished copy, no deployed API).
   */
  cutoverPlan(request?: CutoverRequest): Promise<CutoverPlan>;
  /**
   * Cuts over under the run lock: source read-only, final delta, counts and checksums
   * compared, then every environment's memory and API endpoints switched to the cloud in
   * config/<env>.json and a new version of Hybrid Config's secret. Resumable; once done, a
   * rerun changes nothing (`alreadyDone`).
   */
  cutover(request?: CutoverRequest): Promise<WorkspaceCutoverResult>;
  /** Read-only: what rollback-cutover would restore; an InputError when there is no cutover to undo. */
  rollbackCutoverPlan(request?: CutoverRequest): Promise<RollbackPlan>;
  /**
   * Back to the source: writes made on the cloud since are copied back, the endpoints
   * before the cutover restored (files and a new secret version), the source writable.
   */
  rollbackCutover(request?: CutoverRequest): Promise<WorkspaceRollbackResult>;
  skip(phase: string): Promise<void>;
  reset(phase: string): Promise<void>;
  /** One check of the services the migration depends on (`orchestra-migrate health`). */
  health(request?: HealthRequest): Promise<HealthReport>;
  /** One get, set, delete or list on the copy's source or target store (`orchestra-migrate memory`). */
  memory(request: MemoryRequest): Promise<MemoryAnswer>;
  /**
   * A checker to keep: its memory clients stay open between checks, so their breakers
   * carry over (the editor's status bar item owns one). Close it when done.
   */
  healthChecker(): WorkspaceHealth;
  report(request?: ReportRequest): Promise<WorkspaceReport>;
  /** Writes the default config files; `values` (init --project/--location) go into common.json. */
  init(values?: InitValues): Promise<InitSummary>;
  /**
   * Follows the state file of the project of the last load (the CLI's monitor, the editor's
   * tree), or the one a view named while the configuration does not load.
   */
  follow(pollMs?: number, known?: { readonly stateFile: string; readonly projectId: string }): StateFileMonitor;
  /** An engine with its clients, for callers that drive it step by step (tests, benchmarks). */
  open(): Promise<WorkspaceSession>;
  close(): Promise<void>;
}

export interface HealthRequest {
  readonly signal?: AbortSignal;
  /** A folder that configures nothing is not checked (a passive view would only guess the default address). */
  readonly passive?: boolean;
}

export interface WorkspaceHealth {
  check(request?: HealthRequest): Promise<HealthReport>;
  close(): Promise<void>;
}

export interface WorkspaceEvents {
  on(listener: (event: EngineEvent, text: string) => void): { dispose(): void };
}

const live = <T>(value: Live<T>): T => (typeof value === 'function' ? (value as () => T)() : value);

export function openWorkspace(options: WorkspaceOptions): Workspace {
  return new OrchestraWorkspace(options);
}

class OrchestraWorkspace implements Workspace {
  readonly folder: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly engineEvents = new EngineEvents();
  private last?: LoadedWorkspace;
  private phaseRegistry?: PhaseRegistry;

  readonly events: WorkspaceEvents = {
    on: (listener) => this.engineEvents.on((event) => listener(event, describeEvent(event))),
  };

  constructor(private readonly options: WorkspaceOptions) {
    this.folder = options.folder;
    this.env = options.env ?? process.env;
  }

  private registry(): PhaseRegistry {
    this.phaseRegistry ??= this.options.tuning?.registry?.() ?? builtInPhases();
    return this.phaseRegistry;
  }

  phases(): readonly PhaseInfo[] {
    return this.registry().infos();
  }

  get stateFile(): string | undefined {
    return this.last?.paths.stateFile;
  }

  /** This run's log file once startRunLog opened it; otherwise where log.dir points. */
  get logFile(): string | undefined {
    return this.runLog?.file ?? this.last?.paths.logFile;
  }

  /**
   * Opens this run's log file under log.dir, at log.level (settings, config files and
   * ORCHESTRA_LOG__LEVEL all reach it): every line the engine logs and every engine event
   * go there too, redacted. Without a loadable config there is no log.dir to write to:
   * the command that follows reports the config problem itself.
   */
  async startRunLog(name: string): Promise<string | undefined> {
    if (this.runLog) return this.runLog.file;
    let loaded: LoadedWorkspace;
    try {
      loaded = await this.config();
    } catch (error) {
      if (error instanceof ConfigValidationError) return undefined;
      throw error;
    }
    // A folder with no config file is no migration's workspace: no logs folder is made there.
    if (loaded.resolved.files.length === 0) return undefined;
    const key = await memoryApiKey(this.options.secrets, this.env);
    this.runLog = await openRunLog({
      dir: loaded.paths.logDir,
      level: loaded.config.log.level,
      name,
      redactor: createRedactor([key]),
    });
    const log = this.runLog.logger;
    this.runLogEvents = this.engineEvents.on((event) => {
      if (event.type === 'progress') return;
      const text = describeEvent(event);
      if (event.type === 'step-failed') log.error(text);
      else if (event.type === 'step-progress') log.debug(text);
      else log.info(text);
    });
    return this.runLog.file;
  }

  private runLog?: RunLog;
  private runLogEvents?: { dispose(): void };

  async endRunLog(): Promise<void> {
    const runLog = this.runLog;
    this.runLogEvents?.dispose();
    this.runLogEvents = undefined;
    this.runLog = undefined;
    await runLog?.close();
  }

  private configInput(): ConfigInput {
    return {
      dir: this.folder,
      env: this.env,
      settings: live(this.options.settings) as DeepPartial<OrchestraConfig> | undefined,
      probes: live(this.options.probes) as EnvironmentProbes | undefined,
    };
  }

  /** The memory API key, masked in every line the engine logs (whoever logs). */
  private async logger(): Promise<Logger> {
    const key = await memoryApiKey(this.options.secrets, this.env);
    const outer = redactingLogger(this.options.logger ?? nullLogger, createRedactor([key]));
    return this.runLog ? teeLogger(outer, this.runLog.logger) : outer;
  }

  async config(kind?: EnvironmentKind): Promise<LoadedWorkspace> {
    const resolved = await loadConfig({ ...this.configInput(), ...(kind ? { kind } : {}) });
    const loaded = {
      resolved,
      config: resolved.config,
      projectId: resolved.config.projectId,
      paths: workspacePaths(resolved),
    };
    if (!kind) this.last = loaded;
    return loaded;
  }

  async view(): Promise<WorkspaceView> {
    const configDir = configDirFor(this.folder, this.env);
    try {
      const loaded = await this.config();
      const { resolved, projectId, paths } = loaded;
      const config = loaded.config;
      const steps = this.registry()
        .steps(config)
        .map((s) => ({ id: s.id, phase: s.phase, title: s.title, kind: s.kind }));
      return {
        ok: true,
        steps,
        configHash: configFingerprint(config),
        configDir: resolved.configDir,
        projectId,
        stateFile: paths.stateFile,
        reportFile: paths.reportFile,
        endpoints: describeEndpoints(resolved, this.env),
        files: resolved.files.map((f) => relative(resolved.root, f)),
        phases: this.phases(),
        used: usedEndpoints(resolved, this.env, await this.recordedApiUrl(loaded)),
      };
    } catch (error) {
      const known = await lastKnownState(this.last?.paths, this.folder);
      if (error instanceof ConfigValidationError) {
        const first = error.issues[0];
        return {
          ok: false,
          configDir,
          ...known,
          summary: first ? `${error.message} First: ${formatIssue(first, this.folder).split('\n')[0]}` : error.message,
          details: error.describe(),
          phases: this.phases(),
        };
      }
      const details = errorMessage(error);
      return { ok: false, configDir, ...known, summary: details.split('\n')[0], details, phases: this.phases() };
    }
  }

  async describe(kind?: EnvironmentKind): Promise<ConfigDescription> {
    const { resolved } = await this.config(kind);
    return {
      environment: resolved.environment,
      files: resolved.files.map((f) => relative(resolved.root, f)),
      values: describeConfig(resolved),
      endpoints: describeEndpoints(resolved, this.env),
    };
  }

  async status(): Promise<StatusDocument> {
    const { projectId, paths } = await this.config();
    return readStatus(paths, projectId, this.phases());
  }

  async open(options: { readonly resetPhase?: string } = {}): Promise<WorkspaceSession> {
    const loaded = await this.config();
    requireProject(loaded.config, this.env);
    const logger = await this.logger();
    const { openSession } = require('./wiring') as typeof WiringModule;
    const session = await openSession({
      resolved: loaded.resolved,
      paths: loaded.paths,
      configInput: this.configInput(),
      env: this.env,
      logger,
      apiKey: () => memoryApiKey(this.options.secrets, this.env),
      keyConsent: this.options.keyConsent ?? {},
      tuning: this.options.tuning ?? {},
      resetPhase: options.resetPhase,
      logFile: () => this.runLog?.file,
      registry: this.registry(),
    });
    // The workspace's listeners hear every session's runs.
    const forward = session.engine.events.on((event) => this.engineEvents.emit(event));
    return {
      ...session,
      async close() {
        forward.dispose();
        await session.close();
      },
    };
  }

  private async withSession<T>(
    use: (session: WorkspaceSession) => Promise<T>,
    options: { readonly resetPhase?: string } = {},
  ): Promise<T> {
    const session = await this.open(options);
    try {
      return await use(session);
    } finally {
      await session.close();
    }
  }

  verify(request: RunRequest & { readonly preflight?: boolean } = {}): Promise<Plan> {
    return this.withSession((s) =>
      s.engine.verify(request.phases, { signal: request.signal, preflight: request.preflight }),
    );
  }

  execute(request: ExecuteRequest = {}): Promise<WorkspaceExecuteResult> {
    return this.withSession(async (s) => {
      const { plan, planFile, signal } = request;
      await checkKeysBeforeCopy(s, request.phases);
      const result = await s.engine.execute(request.phases, { signal, plan, planFile });
      return { ...result, projectId: s.config.projectId, stateFile: s.engine.stateFile };
    });
  }

  destroyPlan(request: DestroyRequest = {}): Promise<DestroyPlan> {
    return this.withSession((s) =>
      s.engine.destroyPlan(request.phases, { signal: request.signal, includeData: request.includeData }),
    );
  }

  destroy(request: DestroyRequest = {}): Promise<WorkspaceDestroyResult> {
    return this.withSession(async (s) => {
      const result = await s.engine.destroy(request.phases, {
        signal: request.signal,
        includeData: request.includeData,
      });
      return { ...result, projectId: s.config.projectId, stateFile: s.engine.stateFile };
    });
  }

  sync(request: Omit<RunRequest, 'phases'> = {}): Promise<WorkspaceSyncResult> {
    return this.withSession(async (s) => {
      const { syncPhase, syncedBy } = require('./sync') as typeof SyncModule;
      const phase = syncPhase(s.engine.state());
      await checkKeysBeforeCopy(s, [phase]);
      const result = await s.engine.execute([phase], { signal: request.signal });
      return {
        ...result,
        projectId: s.config.projectId,
        stateFile: s.engine.stateFile,
        synced: syncedBy(result, s.engine.state()),
      };
    });
  }

  cutoverPlan(request: CutoverRequest = {}): Promise<CutoverPlan> {
    return this.withSession((s) => s.engine.cutoverPlan({ signal: request.signal }));
  }

  cutover(request: CutoverRequest = {}): Promise<WorkspaceCutoverResult> {
    return this.withSession(async (s) => {
      const outcome = await s.engine.cutover({ signal: request.signal });
      return { ...outcome, projectId: s.config.projectId, stateFile: s.engine.stateFile };
    });
  }

  rollbackCutoverPlan(request: CutoverRequest = {}): Promise<RollbackPlan> {
    return this.withSession((s) => s.engine.rollbackPlan({ signal: request.signal }));
  }

  rollbackCutover(request: CutoverRequest = {}): Promise<WorkspaceRollbackResult> {
    return this.withSession(async (s) => {
      const record = await s.engine.rollbackCutover({ signal: request.signal });
      return { record, projectId: s.config.projectId, stateFile: s.engine.stateFile };
    });
  }

  skip(phase: string): Promise<void> {
    return this.withSession((s) => s.engine.skip(phase));
  }

  reset(phase: string): Promise<void> {
    return this.withSession((s) => s.engine.reset(phase), { resetPhase: phase });
  }

  /** One call on the copy's source or target store (`orchestra-migrate memory`); needs no project. */
  async memory(request: MemoryRequest): Promise<MemoryAnswer> {
    checkMemoryRequest(request);
    const loaded = await this.config();
    const { memoryCall } = require('./memory') as typeof MemoryModule;
    return memoryCall(
      {
        resolved: loaded.resolved,
        paths: loaded.paths,
        env: this.env,
        logger: await this.logger(),
        apiKey: () => memoryApiKey(this.options.secrets, this.env),
        keyConsent: this.options.keyConsent ?? {},
      },
      request,
    );
  }

  async health(request: HealthRequest = {}): Promise<HealthReport> {
    const checker = this.healthChecker();
    try {
      return await checker.check(request);
    } finally {
      await checker.close();
    }
  }

  healthChecker(): WorkspaceHealth {
    let checker: Promise<HealthChecker> | undefined;
    const open = () =>
      (checker ??= (async () => {
        const { HealthChecker } = require('../health') as typeof HealthModule;
        return new HealthChecker({ logger: await this.logger() });
      })());
    return {
      check: async (request = {}) => {
        const loaded = await this.config();
        const { isConfigured, healthTargets } = require('../health') as typeof HealthModule;
        if (request.passive && !isConfigured(loaded.resolved)) {
          return { checkedAt: new Date().toISOString(), level: 'none', checks: [], unconfigured: true };
        }
        const targets = healthTargets(loaded.resolved, await this.recordedApiUrl(loaded));
        const apiKey = await memoryApiKey(this.options.secrets, this.env);
        // Each memory server gets the key only where the key guard allows; a refused one is
        // checked without it (it cannot leak what it is not sent) and the refusal is logged.
        const keys = new Map<string | undefined, string | undefined>();
        const logger = await this.logger();
        for (const target of targets) {
          // A server process over stdio is given no key (only its env).
          if (target.service === 'api' || target.side?.transport === 'mcp-stdio' || keys.has(target.endpoint)) continue;
          const consent = { ...(this.options.keyConsent ?? {}), ask: undefined };
          // A store with a key of its own (memory.<side>.keyVariable) is checked with that key.
          const named = target.side?.keyVariable;
          const given = named ? this.env[named] : apiKey;
          const setting = healthSetting(loaded.resolved, target.service);
          const key = await keyFor(target.endpoint, given, consent, this.env, setting).catch((error: unknown) => {
            logger.warn(errorMessage(error));
            return undefined;
          });
          keys.set(target.endpoint, key);
        }
        return (await open()).check({
          config: loaded.config,
          targets,
          apiKey,
          apiKeyFor: (endpoint) => keys.get(endpoint),
          signal: request.signal,
        });
      },
      close: async () => {
        const opened = checker;
        checker = undefined;
        await (await opened)?.close();
      },
    };
  }

  /** The deployed API's URL as the state records it; undefined before API Deployment ran (or unreadable). */
  private async recordedApiUrl(loaded: LoadedWorkspace): Promise<string | undefined> {
    if (!loaded.paths.stateFile) return undefined;
    const { readStateFile } = require('../migration/store') as typeof StoreModule;
    const state = await readStateFile(loaded.paths.stateFile, loaded.projectId).catch(() => undefined);
    const url = state?.outputs.apiUrl;
    return typeof url === 'string' ? url : undefined;
  }

  async report(request: ReportRequest = {}): Promise<WorkspaceReport> {
    const loaded = await this.config();
    const projectId = requireProject(loaded.config, this.env);
    const { readReport } = require('./report') as typeof ReportModule;
    return readReport(loaded.paths.stateFile!, projectId, this.phases(), request, await this.stepNames(loaded));
  }

  /**
   * Steps by their names for people, as the tree shows them. The report is a reading of
   * the state: a step graph this config cannot build costs the names, not the report.
   */
  private async stepNames(loaded: LoadedWorkspace): Promise<{ id: string; title: string; kind: StepKind }[]> {
    try {
      return this.registry()
        .steps(loaded.config)
        .map((s) => ({ id: s.id, title: s.title, kind: s.kind }));
    } catch (error) {
      (await this.logger()).warn(`report: steps shown by their ids (${errorMessage(error)})`);
      return [];
    }
  }

  async init(values: InitValues = {}): Promise<InitSummary> {
    checkInitValues(values);
    const result = await initConfig(this.folder, { env: this.env });
    const rel = (file: string) => relative(this.folder, file);
    const commonFile = path.join(result.configDir, COMMON_FILE);
    return {
      written: result.written.map(rel),
      skipped: result.skipped.map(rel),
      gitignore: result.gitignore,
      commonFile,
      set: await writeInitValues(commonFile, values),
    };
  }

  follow(pollMs?: number, known?: { readonly stateFile: string; readonly projectId: string }): StateFileMonitor {
    if (known) return new StateFileMonitor(known.stateFile, known.projectId, this.phases(), pollMs);
    const projectId = requireProject({ projectId: this.last?.projectId ?? '' }, this.env);
    return new StateFileMonitor(this.last!.paths.stateFile!, projectId, this.phases(), pollMs);
  }

  /** Closes the run log, if one was started. */
  async close(): Promise<void> {
    await this.endRunLog();
  }
}

function relative(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

/** Settings that can name each health target's endpoint, the most specific first. */
const HEALTH_SETTINGS: Record<string, readonly string[]> = {
  memory: ['memory.endpoint', 'endpoints.memory'],
  'memory-source': ['memory.source.endpoint', 'phases.memorySystem.sourceEndpoint'],
  'memory-target': ['memory.target.endpoint', 'phases.memorySystem.targetEndpoint'],
};

/** The setting (and its file) that named a health target's endpoint, for the key guard's message. */
function healthSetting(resolved: LoadedWorkspace['resolved'], service: string): string {
  for (const setting of HEALTH_SETTINGS[service] ?? []) {
    const from = resolved.provenance(setting);
    if (from && from.layer !== 'defaults') return from.source !== setting ? `${setting} in ${from.source}` : setting;
  }
  return `${service} endpoint`;
}

/** The Memory System phase copies between the stores: their key consent is settled before a run that includes it. */
async function checkKeysBeforeCopy(s: WorkspaceSession, phases: readonly string[] | undefined): Promise<void> {
  const copying = 'memory-system';
  if (phases && !phases.includes(copying)) return;
  const status = s.engine.state().phases[copying]?.status;
  if (status === undefined || status === 'skipped') return;
  await s.checkCopyKeys();
}
