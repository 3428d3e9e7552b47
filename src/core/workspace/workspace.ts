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
import type * as HealthModule from '../health';
import type { HealthChecker, HealthReport } from '../health';
import { nullLogger, type Logger } from '../logger';
import { redactingLogger } from '../logging/loggers';
import { openRunLog, teeLogger, type RunLog } from '../logging/run-log';
import { createRedactor } from '../logging/redact';
import { describeEvent, EngineEvents, type EngineEvent } from '../migration/events';
import type { ExecuteResult } from '../migration/executor';
import { StateFileMonitor } from '../migration/monitor';
import type { Plan } from '../migration/planner';
import type * as StoreModule from '../migration/store';
import { workspacePaths, type WorkspacePaths } from './paths';
import type * as ReportModule from './report';
import type { ReportRequest, WorkspaceReport } from './report';
import { keyFor } from './key-guard';
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
    }
  | {
      readonly ok: false;
      readonly configDir: string;
      /** One line for the tree and the status bar. */
      readonly summary: string;
      /** Every problem, `file:line:column path: message` then expected and fix, for the log. */
      readonly details: string;
    };

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

export interface VerifyResult {
  readonly plan: Plan;
}

export type WorkspaceExecuteResult = ExecuteResult & { readonly projectId: string; readonly stateFile: string };

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
  /** Loads the configuration (every call reads the files again). */
  config(kind?: EnvironmentKind): Promise<LoadedWorkspace>;
  /** The load as the editor shows it: never throws for a configuration problem. */
  view(): Promise<WorkspaceView>;
  describe(kind?: EnvironmentKind): Promise<ConfigDescription>;
  status(): Promise<StatusDocument>;
  verify(request?: RunRequest & { readonly preflight?: boolean }): Promise<Plan>;
  execute(request?: RunRequest): Promise<WorkspaceExecuteResult>;
  skip(phase: string): Promise<void>;
  reset(phase: string): Promise<void>;
  /** The services' health. `passive`: a folder that configures nothing is not checked. */
  health(request?: { readonly signal?: AbortSignal; readonly passive?: boolean }): Promise<HealthReport>;
  report(request?: ReportRequest): Promise<WorkspaceReport>;
  /** Writes the default config files; `values` (init --project/--location) go into common.json. */
  init(values?: InitValues): Promise<InitSummary>;
  /** Follows the state file of the project of the last load (the CLI's monitor, the editor's tree). */
  follow(pollMs?: number): StateFileMonitor;
  /** An engine with its clients, for callers that drive it step by step (tests, benchmarks). */
  open(): Promise<WorkspaceSession>;
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
  private checker?: Promise<HealthChecker>;
  private closed = false;

  readonly events: WorkspaceEvents = {
    on: (listener) => this.engineEvents.on((event) => listener(event, describeEvent(event))),
  };

  constructor(private readonly options: WorkspaceOptions) {
    this.folder = options.folder;
    this.env = options.env ?? process.env;
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
      const { resolved, projectId, paths } = await this.config();
      return {
        ok: true,
        configDir: resolved.configDir,
        projectId,
        stateFile: paths.stateFile,
        reportFile: paths.reportFile,
        endpoints: describeEndpoints(resolved, this.env),
        files: resolved.files.map((f) => relative(resolved.root, f)),
      };
    } catch (error) {
      if (error instanceof ConfigValidationError) {
        const first = error.issues[0];
        return {
          ok: false,
          configDir,
          summary: first ? `${error.message} First: ${formatIssue(first, this.folder).split('\n')[0]}` : error.message,
          details: error.describe(),
        };
      }
      return { ok: false, configDir, summary: errorMessage(error).split('\n')[0], details: errorMessage(error) };
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
    return readStatus(paths, projectId);
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

  execute(request: RunRequest = {}): Promise<WorkspaceExecuteResult> {
    return this.withSession(async (s) => {
      const result = await s.engine.execute(request.phases, { signal: request.signal });
      return { ...result, projectId: s.config.projectId, stateFile: s.engine.stateFile };
    });
  }

  skip(phase: string): Promise<void> {
    return this.withSession((s) => s.engine.skip(phase));
  }

  reset(phase: string): Promise<void> {
    return this.withSession((s) => s.engine.reset(phase), { resetPhase: phase });
  }

  async health(request: { readonly signal?: AbortSignal; readonly passive?: boolean } = {}): Promise<HealthReport> {
    const loaded = await this.config();
    const { isConfigured, healthTargets } = require('../health') as typeof HealthModule;
    if (request.passive && !isConfigured(loaded.resolved)) {
      return { checkedAt: new Date().toISOString(), level: 'none', checks: [], unconfigured: true };
    }
    const checker = await this.healthChecker();
    const targets = healthTargets(loaded.resolved, await this.recordedApiUrl(loaded));
    const apiKey = await memoryApiKey(this.options.secrets, this.env);
    // Each memory server gets the key only where the key guard allows; a refused one is
    // checked without it (it cannot leak what it is not sent) and the refusal is logged.
    const keys = new Map<string | undefined, string | undefined>();
    const logger = await this.logger();
    for (const target of targets) {
      if (target.service === 'api' || keys.has(target.endpoint)) continue;
      const consent = { ...(this.options.keyConsent ?? {}), ask: undefined };
      const key = await keyFor(target.endpoint, apiKey, consent, this.env, `${target.service} endpoint`).catch(
        (error: unknown) => {
          logger.warn(errorMessage(error));
          return undefined;
        },
      );
      keys.set(target.endpoint, key);
    }
    return checker.check({
      config: loaded.config,
      targets,
      apiKey,
      apiKeyFor: (endpoint) => keys.get(endpoint),
      signal: request.signal,
    });
  }

  /** Kept while the workspace is open, so breakers carry over from one check to the next. */
  private healthChecker(): Promise<HealthChecker> {
    this.checker ??= (async () => {
      const { HealthChecker } = require('../health') as typeof HealthModule;
      return new HealthChecker({ logger: await this.logger() });
    })();
    return this.checker;
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
    return readReport(loaded.paths.stateFile!, projectId, request);
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

  follow(pollMs?: number): StateFileMonitor {
    const projectId = requireProject({ projectId: this.last?.projectId ?? '' }, this.env);
    return new StateFileMonitor(this.last!.paths.stateFile!, projectId, pollMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const checker = this.checker;
    this.checker = undefined;
    try {
      await (await checker)?.close();
    } catch (error) {
      this.options.logger?.warn(`closing the health checker failed: ${errorMessage(error)}`);
    }
    this.runLogEvents?.dispose();
    await this.runLog?.close();
  }
}

function relative(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}
