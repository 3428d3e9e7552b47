/**
 * Keeps the phase tree and the status bar in step with the real migration: the
 * configuration of the first workspace folder says which project's state file to
 * follow; the state file (written by the CLI or another window) says each phase's
 * status. Read-only: nothing here runs a step.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { InputError } from '../core/errors';
import type { HealthReport } from '../core/health';
import type { PhaseInfo } from '../core/migration/catalog';
import type { EngineEvent } from '../core/migration/events';
import type { MonitorSnapshot, StateFileMonitor } from '../core/migration/monitor';
import type { ReportPageOptions } from '../core/report/html';
import type { InitSummary, WorkspaceView } from '../core/workspace';
import { SETTINGS_SECTION } from './constants';
import type { WorkspaceGateway } from './gateway';
import type { PhaseDetail, PhaseTreeProvider } from './phase-tree';
import type { EnvironmentStatusItem } from './status-bar';

type ConfigLoadResult = WorkspaceView;

/** Saving a config file fires several events; one reload is enough. */
const RELOAD_DELAY_MS = 250;

/** How often the config folder's listing is compared, behind the file watcher. */
const CONFIG_POLL_MS = 2000;

export interface MigrationViewDeps {
  readonly tree: PhaseTreeProvider;
  readonly treeView: vscode.TreeView<unknown>;
  readonly statusItem: EnvironmentStatusItem;
  readonly log: vscode.LogOutputChannel;
  readonly gateway: WorkspaceGateway;
}

interface Followed {
  readonly file: string;
  readonly monitor: StateFileMonitor;
  readonly subscription: { dispose(): unknown };
}

export class MigrationView implements vscode.Disposable {
  private followed?: Followed;
  private configWatcher?: {
    readonly dir: string;
    readonly watcher: vscode.FileSystemWatcher;
    readonly poll: NodeJS.Timeout;
  };
  /** The config files as last seen by the poll: names, sizes and times. */
  private configSignature?: string;
  private timer?: NodeJS.Timeout;
  private queue: Promise<void> = Promise.resolve();
  private result?: ConfigLoadResult;
  /** Logged once per change, not on every redraw. */
  private loggedStateProblem?: string;
  private loggedInterruption?: string;
  private disposed = false;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly renderListeners = new Set<() => void>();

  constructor(private readonly deps: MigrationViewDeps) {
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration(SETTINGS_SECTION)) this.schedule();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.schedule()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.schedule()),
    );
  }

  /** The first load compiles the configuration schema: it runs after activate() has returned. */
  start(): void {
    this.schedule(0);
  }

  schedule(delayMs = RELOAD_DELAY_MS): void {
    if (this.disposed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.reload();
    }, delayMs);
  }

  /** Loads the configuration again and follows the state file it names. Loads run one at a time, in order. */
  reload(): Promise<void> {
    const next = this.queue.then(() => this.load());
    this.queue = next.catch((error: unknown) => {
      // load() handles configuration errors itself; anything else is a bug worth its stack.
      this.deps.log.error(
        'loading the migration state failed',
        error instanceof Error ? (error.stack ?? error) : error,
      );
    });
    return this.queue;
  }

  /**
   * Writes the default configuration into the first workspace folder (never overwriting a
   * file), then loads it.
   */
  async initConfig(): Promise<InitSummary> {
    const workspace = this.deps.gateway.require('the configuration files are written into the workspace folder');
    const summary = await workspace.init();
    await this.reload();
    return summary;
  }

  /**
   * The migration report of the project in the first folder, as Markdown and (given the
   * webview's details) as its page. A clear error when there is no project or no run yet.
   */
  async report(
    page?: ReportPageOptions,
    timelineImage?: string,
  ): Promise<{ projectId: string; markdown: string; html?: string; timeline?: string }> {
    if (!this.result) await this.reload();
    const result = this.result;
    if (!result) throw new InputError('Open a folder first: the report describes the migration of its project.');
    if (!result.ok) throw new InputError(`The configuration has a problem, so there is no report: ${result.summary}`);
    const workspace = this.deps.gateway.require('the report describes the migration of its project');
    return workspace.report({ page, timelineImage });
  }

  /** The plan of the project in the first folder (read-only calls only), as the command line's verify. */
  async verify(phases: string[] | undefined, signal: AbortSignal) {
    const plan = await this.deps.gateway.forRun().verify({ phases, signal });
    const { formatPlan, planSummary } = this.deps.gateway.engine;
    return { plan, text: formatPlan(plan), summary: planSummary(plan) };
  }

  /** Executes the migration of the project in the first folder, as `orchestra-migrate execute --yes`. */
  async execute(
    phases: string[] | undefined,
    signal: AbortSignal,
    onEvent: (event: EngineEvent, text: string) => void,
  ) {
    const workspace = this.deps.gateway.forRun();
    const subscription = workspace.events.on(onEvent);
    try {
      return await workspace.execute({ phases, signal });
    } finally {
      subscription.dispose();
      // The file watcher may lag the run's last write: the tree shows the final statuses
      // before the command reports the result, not a moment after.
      await this.followed?.monitor.reload();
    }
  }

  /** Skips or resets one phase of the project in the first folder (the lock keeps a running migration safe). */
  async changePhase(phase: string, change: 'skip' | 'reset'): Promise<void> {
    const workspace = this.deps.gateway.forRun();
    try {
      await (change === 'skip' ? workspace.skip(phase) : workspace.reset(phase));
    } finally {
      await this.followed?.monitor.reload();
    }
  }

  /**
   * The health of the folder's services (memory servers, deployed API). Calls out to the
   * addresses the configuration names: a trusted workspace only.
   */
  async checkHealth(signal?: AbortSignal): Promise<HealthReport> {
    return this.deps.gateway.forRun().health({ signal, passive: true });
  }

  /** Called after every redraw: the state file or the configuration changed. */
  onDidRender(listener: () => void): vscode.Disposable {
    this.renderListeners.add(listener);
    return new vscode.Disposable(() => this.renderListeners.delete(listener));
  }

  /** The last configuration load, as the views show it (for tests). */
  get lastLoad(): ConfigLoadResult | undefined {
    return this.result;
  }

  private async load(): Promise<void> {
    if (this.disposed) return;
    const workspace = this.deps.gateway.current();
    if (!workspace) {
      this.result = undefined;
      this.follow(undefined);
      this.render();
      return;
    }
    const result = await workspace.view();
    if (this.disposed) return;
    this.result = result;
    this.watchConfig(result.configDir);
    const { log, tree, treeView } = this.deps;
    if (!result.ok) {
      log.error(`configuration: ${result.details}`);
      tree.setProblem(`${result.summary} The phases show as not started until it is fixed; details in the log.`);
      treeView.message = result.summary;
      this.follow(undefined);
    } else {
      tree.setProblem(undefined);
      treeView.message = result.stateFile ? undefined : noProjectMessage(this.deps.gateway);
      const files = result.files.length ? result.files.join(', ') : 'none, built-in defaults';
      log.info(`configuration loaded (files: ${files}); project: ${result.projectId || '(none)'}`);
      if (result.stateFile) {
        const monitor = this.follow(result.stateFile, () => workspace.follow());
        await monitor?.reload();
      } else {
        this.follow(undefined);
      }
    }
    if (!this.disposed) this.render();
  }

  /** Follows `file` (creating its monitor when it is a new one), or nothing. */
  private follow(file: string | undefined, create?: () => StateFileMonitor): StateFileMonitor | undefined {
    if (this.followed && this.followed.file === file) return this.followed.monitor;
    this.unfollow();
    if (!file || !create) return undefined;
    const monitor = create();
    const subscription = monitor.onDidChange(() => this.render());
    this.followed = { file, monitor, subscription };
    this.deps.log.info(`following the migration state ${file}`);
    return monitor;
  }

  private unfollow(): void {
    this.followed?.subscription.dispose();
    this.followed?.monitor.dispose();
    this.followed = undefined;
  }

  /**
   * Reloads when a config file of the folder in use is created, changed or deleted. The
   * watcher is quick but not certain: in code-server it missed a config/ folder created
   * after start in some runs (even rooted in the workspace folder), so a slow poll of the
   * folder's listing backs it up, as the state file's monitor does.
   */
  private watchConfig(dir: string): void {
    if (this.configWatcher?.dir === dir) return;
    this.stopWatchingConfig();
    const watcher = vscode.workspace.createFileSystemWatcher(configPattern(dir));
    const reload = () => this.schedule();
    watcher.onDidCreate(reload);
    watcher.onDidChange(reload);
    watcher.onDidDelete(reload);
    this.configSignature = configSignature(dir);
    const poll = setInterval(() => {
      const now = configSignature(dir);
      if (now === this.configSignature) return;
      this.configSignature = now;
      this.schedule();
    }, CONFIG_POLL_MS);
    poll.unref();
    this.configWatcher = { dir, watcher, poll };
  }

  private stopWatchingConfig(): void {
    if (!this.configWatcher) return;
    this.configWatcher.watcher.dispose();
    clearInterval(this.configWatcher.poll);
    this.configWatcher = undefined;
  }

  private render(): void {
    const snapshot = this.followed?.monitor.snapshot();
    const result = this.result;
    this.deps.tree.setStatusSource(snapshot ? statusFrom(snapshot) : () => ({ status: 'not-started' }));
    // The config problem (if any) was set by load(); a state file problem is only known here.
    if (result?.ok) this.deps.tree.setProblem(snapshot?.problem);
    if (snapshot?.problem !== this.loggedStateProblem) {
      if (snapshot?.problem) this.deps.log.error(`migration state: ${snapshot.problem}`);
      this.loggedStateProblem = snapshot?.problem;
    }
    if (snapshot?.interrupted && snapshot.interrupted !== this.loggedInterruption) {
      this.deps.log.warn(`the last migration run did not finish: ${snapshot.interrupted}; run execute again to resume`);
    }
    this.loggedInterruption = snapshot?.interrupted;
    this.deps.statusItem.setMigration(
      result && {
        running: snapshot?.running ?? false,
        progress: snapshot?.progress,
        projectId: result.ok ? result.projectId || undefined : undefined,
        endpoints: result.ok ? result.endpoints : [],
        files: result.ok ? result.files : [],
        problem: result.ok ? undefined : result.summary,
        interrupted: snapshot?.interrupted,
      },
    );
    for (const listener of this.renderListeners) listener();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.unfollow();
    this.stopWatchingConfig();
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.renderListeners.clear();
  }
}

/** The *.json files of `dir` by name, size and modification time; '' while it does not exist. */
function configSignature(dir: string): string {
  try {
    return readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((name) => {
        const stat = statSync(path.join(dir, name), { throwIfNoEntry: false });
        return `${name}:${stat?.size ?? -1}:${stat?.mtimeMs ?? -1}`;
      })
      .join('|');
  } catch {
    return '';
  }
}

/**
 * The config files of `dir` as a watch pattern. A watch rooted in a folder that does not
 * exist yet (a new workspace before `init`) cannot see it appear, so the pattern is rooted
 * in the workspace folder that holds `dir`, or else in the nearest folder that exists.
 */
function configPattern(dir: string): vscode.RelativePattern {
  const holder = vscode.workspace.workspaceFolders?.find((f) => {
    const rel = path.relative(f.uri.fsPath, dir);
    return f.uri.scheme === 'file' && !rel.startsWith('..') && !path.isAbsolute(rel);
  });
  let base = holder?.uri.fsPath ?? dir;
  while (!holder && !existsSync(base) && path.dirname(base) !== base) base = path.dirname(base);
  const rel = path.relative(base, dir).split(path.sep).join('/');
  return new vscode.RelativePattern(vscode.Uri.file(base), rel ? `${rel}/*.json` : '*.json');
}

function noProjectMessage(gateway: WorkspaceGateway): string {
  const error = gateway.engine.noProjectError();
  return `${error.message} ${error.fix ?? ''}`.trim();
}

function statusFrom(snapshot: MonitorSnapshot): (phase: PhaseInfo) => PhaseDetail {
  const byId = new Map(snapshot.phases.map((p) => [p.id, p]));
  return (phase) => {
    const p = byId.get(phase.id);
    if (!p) return { status: 'not-started' };
    return {
      status: p.status,
      steps: p.steps,
      error: p.error,
      blockedBy: p.blockedBy,
      finishedAt: p.finishedAt,
      interrupted: snapshot.interrupted,
    };
  };
}
