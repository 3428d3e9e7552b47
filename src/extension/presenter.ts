/**
 * Keeps the phase tree and the status bar in step with the migration: the configuration
 * of the first workspace folder (through the gateway) says which project's state file to
 * follow; the state file (written by any run: this window, another, the CLI) says each
 * phase's status. It only shows: runs go through the gateway from the commands.
 */
import type * as vscode from 'vscode';
import type { MonitorSnapshot, StateFileMonitor } from '../core/migration/monitor';
import type { WorkspaceView } from '../core/workspace';
import type { ConfigWatcher } from './config-watcher';
import type { WorkspaceGateway } from './gateway';
import type { PhaseTreeProvider } from './phase-tree';
import type { PlanTracker } from './plan-tracker';
import { migrationSummary, phaseNodes, treeMessage, treeProblem, type PhaseNode } from './presentation';
import type { EnvironmentStatusItem } from './status-bar';
import { forEditor } from './wording';

/** Saving a config file fires several events; one reload is enough. */
const RELOAD_DELAY_MS = 250;

export interface PresenterDeps {
  readonly gateway: WorkspaceGateway;
  readonly watcher: ConfigWatcher;
  readonly tree: PhaseTreeProvider;
  readonly treeView: vscode.TreeView<unknown>;
  readonly statusItem: EnvironmentStatusItem;
  readonly log: vscode.LogOutputChannel;
  /** The last Verify's plan: shown in the tree, marked stale here. */
  readonly plans: PlanTracker;
}

interface Followed {
  readonly file: string;
  readonly monitor: StateFileMonitor;
  readonly subscription: { dispose(): unknown };
}

export class MigrationPresenter implements vscode.Disposable {
  private followed?: Followed;
  private timer?: NodeJS.Timeout;
  private queue: Promise<void> = Promise.resolve();
  private view?: WorkspaceView;
  /** Logged once per change, not on every redraw. */
  private loggedStateProblem?: string;
  private loggedInterruption?: string;
  private disposed = false;
  private readonly renderListeners = new Set<() => void>();
  private readonly subscription: { dispose(): unknown };

  constructor(private readonly deps: PresenterDeps) {
    this.subscription = deps.watcher.onDidChange(() => this.schedule());
    this.planSubscription = deps.plans.onDidChange(() => this.render());
  }

  private readonly planSubscription: { dispose(): unknown };
  private rendering = false;

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
      // load() shows configuration errors itself; anything else is a bug worth its stack.
      this.deps.log.error(
        'loading the migration state failed',
        error instanceof Error ? (error.stack ?? error) : error,
      );
    });
    return this.queue;
  }

  /** Reads the state file now: a run just ended, and the file watcher may lag its last write. */
  async refreshState(): Promise<void> {
    await this.followed?.monitor.reload();
  }

  /** The phases as the tree shows them now (the registry's, with their statuses). */
  phases(): PhaseNode[] {
    return this.deps.tree.phases();
  }

  /** Called after every redraw: the state file or the configuration changed. */
  onDidRender(listener: () => void): { dispose(): void } {
    this.renderListeners.add(listener);
    return { dispose: () => this.renderListeners.delete(listener) };
  }

  /** The line above the tree (a configuration problem, or that no project is set), as shown. */
  get treeMessage(): string | undefined {
    return this.deps.treeView.message;
  }

  /** Shows a step's row in the tree, its phase expanded, selected and focused. */
  async revealStep(stepId: string): Promise<void> {
    const { tree, treeView } = this.deps;
    for (const phase of tree.phases()) {
      const node = tree.getChildren(phase).find((n) => n.kind === 'step' && n.step.id === stepId);
      if (node) {
        await treeView.reveal(node, { select: true, focus: true, expand: true });
        return;
      }
    }
    throw new Error(`The tree has no step ${stepId}: verify again, the configuration may have changed.`);
  }

  /** The last configuration load, as the views show it. */
  get lastLoad(): WorkspaceView | undefined {
    return this.view;
  }

  private async load(): Promise<void> {
    if (this.disposed) return;
    const workspace = this.deps.gateway.current();
    const view = workspace ? await workspace.view() : undefined;
    if (this.disposed) return;
    this.view = view;
    if (view) this.deps.watcher.watch(view.configDir);
    if (view && !view.ok) this.deps.log.error(`configuration: ${view.details}`);
    if (view?.ok) {
      const files = view.files.length ? view.files.join(', ') : 'none, built-in defaults';
      this.deps.log.info(`configuration loaded (files: ${files}); project: ${view.projectId || '(none)'}`);
    }
    // A configuration problem keeps the state file in view (the last good load's): it is still the truth.
    const known =
      view && !view.ok && view.stateFile && view.projectId
        ? { stateFile: view.stateFile, projectId: view.projectId }
        : undefined;
    const file = view?.ok ? view.stateFile : known?.stateFile;
    const monitor = file ? this.follow(file, () => workspace!.follow(undefined, known)) : undefined;
    if (!monitor) this.unfollow();
    await monitor?.reload();
    if (!this.disposed) this.render();
  }

  /** Follows `file`, creating its monitor when it is a new one. */
  private follow(file: string, create: () => StateFileMonitor): StateFileMonitor {
    if (this.followed?.file === file) return this.followed.monitor;
    this.unfollow();
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

  private render(): void {
    // A plan turning stale re-renders through its listener: once is enough.
    if (this.rendering || this.disposed) return;
    this.rendering = true;
    try {
      this.draw();
    } finally {
      this.rendering = false;
    }
  }

  private draw(): void {
    const snapshot: MonitorSnapshot | undefined = this.followed?.monitor.snapshot();
    const view = this.view;
    const { tree, treeView, statusItem, log, plans } = this.deps;
    if (view) {
      plans.check({
        projectId: view.ok ? view.projectId : undefined,
        configHash: view.ok ? view.configHash : undefined,
        stateHash: this.followed?.monitor.fingerprint(),
      });
    }
    const steps = view?.ok ? view.steps : undefined;
    tree.show(phaseNodes(view?.phases ?? [], snapshot, { steps, plans }), treeProblem(view, snapshot));
    treeView.message = treeMessage(view, () => this.noProjectText());
    if (snapshot?.problem !== this.loggedStateProblem) {
      if (snapshot?.problem) log.error(`migration state: ${snapshot.problem}`);
      this.loggedStateProblem = snapshot?.problem;
    }
    if (snapshot?.interrupted && snapshot.interrupted !== this.loggedInterruption) {
      log.warn(`the last migration run did not finish: ${snapshot.interrupted}; run execute again to resume`);
    }
    this.loggedInterruption = snapshot?.interrupted;
    statusItem.setMigration(migrationSummary(view, snapshot));
    for (const listener of this.renderListeners) listener();
  }

  private noProjectText(): string {
    const error = this.deps.gateway.engine.noProjectError();
    return forEditor(`${error.message} ${error.fix ?? ''}`.trim());
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.unfollow();
    this.subscription.dispose();
    this.planSubscription.dispose();
    this.renderListeners.clear();
  }
}
