/**
 * The engine side of the migration views: loads the configuration and follows the
 * state file. Only migration-view.ts imports it, with import(), so the schema
 * validator and the engine's modules are evaluated after activation, not during it.
 * Imports name single files, not the barrels: src/core/migration/index.ts would
 * pull the executor and every cloud client into the bundle's start-up path.
 */
import * as path from 'node:path';
import { describeEndpoints, type EndpointLine } from '../core/config/describe';
import { initConfig } from '../core/config/init';
import { configDirFor, COMMON_FILE, loadConfig } from '../core/config/load';
import { explicitSettingValue, settingsLayerFrom, type SettingInspection } from '../core/config/settings';
import type { EnvironmentProbes } from '../core/environment';
import { ConfigValidationError, formatIssue } from '../core/config/validate';
import { errorMessage } from '../core/errors';
import { HealthChecker, healthTargets, isConfigured, recordedApiUrl, type HealthReport } from '../core/health';
import type { Logger } from '../core/logger';
import { redactingLogger } from '../core/logging/loggers';
import { createRedactor } from '../core/logging/redact';
import { MEMORY_API_KEY_VARIABLE } from '../core/config/secrets';
import { describeEvent, type EngineEvent } from '../core/migration/events';
import type { ExecuteResult } from '../core/migration/executor';
import { StateFileMonitor } from '../core/migration/monitor';
import { formatPlan, planSummary } from '../core/migration/plan-text';
import type { Plan } from '../core/migration/planner';
import { openMigrationSession } from '../core/migration/session';
import { readStateFile, statePath } from '../core/migration/store';
import { reportPage, type ReportPageOptions } from '../core/report/html';
import { migrationReport, reportFileName } from '../core/report/markdown';
import { timelineSvg } from '../core/report/timeline';

export interface ConfigLoadInput {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly probes: EnvironmentProbes;
  /** `WorkspaceConfiguration.inspect` by full setting id. */
  readonly inspect: (key: string) => SettingInspection | undefined;
  /** Untrusted workspaces must not redirect endpoints through workspace settings. */
  readonly trusted: boolean;
}

export interface ConfigLoaded {
  readonly ok: true;
  readonly configDir: string;
  readonly projectId: string;
  /** Undefined while no project is configured: there is no state to follow. */
  readonly stateFile?: string;
  /** Where `orchestra-migrate report` writes the report (report.dir); undefined without a project. */
  readonly reportFile?: string;
  readonly endpoints: readonly EndpointLine[];
  /** Config files read, relative to the workspace folder. */
  readonly files: readonly string[];
}

export interface ConfigFailed {
  readonly ok: false;
  readonly configDir: string;
  /** One line for the tree and the status bar. */
  readonly summary: string;
  /** Every problem, `file:line:column path: message` then expected and fix, for the log. */
  readonly details: string;
}

export type ConfigLoadResult = ConfigLoaded | ConfigFailed;

export async function loadMigrationConfig(input: ConfigLoadInput): Promise<ConfigLoadResult> {
  const configDir = configDirFor(input.dir, input.env);
  try {
    const resolved = await loadConfig({
      dir: input.dir,
      env: input.env,
      probes: input.probes,
      settings: settingsLayerFrom((key) => explicitSettingValue(input.inspect(key), input.trusted)),
    });
    const projectId = resolved.config.projectId;
    const stateDir = path.resolve(resolved.root, resolved.config.state.dir);
    return {
      ok: true,
      configDir: resolved.configDir,
      projectId,
      stateFile: projectId ? statePath(stateDir, projectId) : undefined,
      reportFile: projectId
        ? path.join(path.resolve(resolved.root, resolved.config.report.dir), reportFileName(projectId))
        : undefined,
      endpoints: describeEndpoints(resolved, input.env),
      files: resolved.files.map((f) => path.relative(resolved.root, f).split(path.sep).join('/')),
    };
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      const first = error.issues[0];
      return {
        ok: false,
        configDir,
        summary: first ? `${error.message} First: ${formatIssue(first, input.dir).split('\n')[0]}` : error.message,
        details: error.describe(),
      };
    }
    return { ok: false, configDir, summary: errorMessage(error).split('\n')[0], details: errorMessage(error) };
  }
}

export function followStateFile(file: string, projectId: string): StateFileMonitor {
  return new StateFileMonitor(file, projectId);
}

export interface InitSummary {
  /** Paths relative to the workspace folder, with forward slashes. */
  readonly written: readonly string[];
  readonly skipped: readonly string[];
  readonly gitignore: 'added' | 'unchanged' | 'created';
  /** config/common.json, absolute: what to open next. */
  readonly commonFile: string;
}

/** `orchestra-migrate init` for the editor: the default files, never overwriting one. */
export async function initWorkspaceConfig(dir: string, env: NodeJS.ProcessEnv): Promise<InitSummary> {
  const result = await initConfig(dir, { env });
  const rel = (file: string) => path.relative(dir, file).split(path.sep).join('/');
  return {
    written: result.written.map(rel),
    skipped: result.skipped.map(rel),
    gitignore: result.gitignore,
    commonFile: path.join(result.configDir, COMMON_FILE),
  };
}

/** The migration report of a state file, and the webview's page of it when asked; undefined before any run. */
/**
 * The migration report of a state file; undefined before any run. With `page`, also the
 * webview's page of it (the chart inline); with `timelineImage`, the Markdown links the
 * chart under that file name and `timeline` is the SVG to write there (an export).
 */
export async function readReport(
  stateFile: string,
  projectId: string,
  page?: ReportPageOptions,
  timelineImage?: string,
): Promise<{ markdown: string; html?: string; timeline?: string } | undefined> {
  const state = await readStateFile(stateFile, projectId);
  if (!state) return undefined;
  const timeline = timelineSvg(state);
  // A page follows the state file: the same state draws the same page.
  const markdown = migrationReport(state, {
    asOfState: page !== undefined,
    ...(timeline && timelineImage ? { timelineImage } : {}),
  });
  return {
    markdown,
    ...(page ? { html: reportPage(markdown, { ...page, timeline }) } : {}),
    ...(timeline && timelineImage ? { timeline } : {}),
  };
}

export interface RunInput extends ConfigLoadInput {
  /** Where the engine's lines go (redacted here first). */
  readonly logger: Logger;
  readonly phases?: string[];
  readonly signal: AbortSignal;
  /** From the editor's secret storage (Orchestra: Set Memory API Key). */
  readonly apiKey?: string;
}

/** The engine for the folder, as the command line opens it, with the editor's settings and hints. */
function openSession(input: RunInput) {
  // The memory API key (from the environment) never reaches the log, whoever logs.
  const redactor = createRedactor([input.apiKey, input.env[MEMORY_API_KEY_VARIABLE]]);
  return openMigrationSession({
    dir: input.dir,
    env: input.env,
    logger: redactingLogger(input.logger, redactor),
    probes: input.probes,
    settings: settingsLayerFrom((key) => explicitSettingValue(input.inspect(key), input.trusted)),
    apiKey: input.apiKey,
  });
}

/** `orchestra-migrate verify` for the editor: the plan, its text and its one-line summary. */
export async function verifyMigration(input: RunInput): Promise<{ plan: Plan; text: string; summary: string }> {
  const session = await openSession(input);
  try {
    const plan = await session.engine.verify(input.phases, { signal: input.signal });
    return { plan, text: formatPlan(plan), summary: planSummary(plan) };
  } finally {
    await session.close();
  }
}

/** `orchestra-migrate execute --yes` for the editor; each event is also given as a line of text. */
export async function executeMigration(
  input: RunInput & { onEvent: (event: EngineEvent, text: string) => void },
): Promise<ExecuteResult & { projectId: string }> {
  const session = await openSession(input);
  const subscription = session.engine.events.on((event) => input.onEvent(event, describeEvent(event)));
  try {
    const result = await session.engine.execute(input.phases, { signal: input.signal });
    return { ...result, projectId: session.config.projectId };
  } finally {
    subscription.dispose();
    await session.close();
  }
}

export { HealthChecker };

/** `orchestra-migrate skip <phase>` / `reset <phase>` for the editor: under the run lock, like the command line. */
export async function changePhase(
  input: Omit<RunInput, 'phases'> & { readonly phase: string; readonly change: 'skip' | 'reset' },
): Promise<void> {
  const session = await openSession(input);
  try {
    if (input.change === 'skip') await session.engine.skip(input.phase);
    else await session.engine.reset(input.phase);
  } finally {
    await session.close();
  }
}

/**
 * `orchestra-migrate health` for the editor: the folder's services, checked by a checker
 * the caller keeps (its breakers carry over from one check to the next). A folder with
 * nothing configured is not checked: the status bar would otherwise show the built-in
 * default address as down to everyone who opens the view before `init`.
 */
export async function checkWorkspaceHealth(
  checker: HealthChecker,
  input: ConfigLoadInput & { readonly apiKey?: string; readonly signal?: AbortSignal },
): Promise<HealthReport> {
  const resolved = await loadConfig({
    dir: input.dir,
    env: input.env,
    probes: input.probes,
    settings: settingsLayerFrom((key) => explicitSettingValue(input.inspect(key), input.trusted)),
  });
  if (!isConfigured(resolved))
    return { checkedAt: new Date().toISOString(), level: 'none', checks: [], unconfigured: true };
  return checker.check({
    config: resolved.config,
    targets: healthTargets(resolved, await recordedApiUrl(resolved)),
    apiKey: input.apiKey || input.env[MEMORY_API_KEY_VARIABLE] || undefined,
    signal: input.signal,
  });
}
