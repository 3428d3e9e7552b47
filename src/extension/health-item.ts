/**
 * The status bar's health indicator: the services the migration depends on (memory
 * servers, the deployed API), checked now and then, as `orchestra-migrate health` does.
 * Worst first: the item names the service that is down, or slow; its tooltip has each
 * service's endpoint, round trip and breaker. Checks run only in a trusted workspace
 * (they call addresses the workspace's files may set).
 */
import * as vscode from 'vscode';
import type { HealthCheck, HealthReport } from '../core/health';
import type { Workspace, WorkspaceHealth } from '../core/workspace';
import {
  COMMAND_IDS,
  HEALTH_ITEM_ID,
  MEMORY_API_KEY_SECRET,
  SETTINGS_SECTION,
  SETTING_KEYS,
  settingId,
} from './constants';
import type { WorkspaceGateway } from './gateway';
import type * as HealthPickModule from './health-pick';
import type { HealthPick } from './health-pick';
import { HEALTH_ICONS, healthAccessibilityLabel, healthStateText, healthText, unCheckedLabel } from './health-text';
import type { MigrationPresenter } from './presenter';
import { md } from './presentation';

/** Several changes at once (a saved config file fires a few events) make one check. */
const CHANGE_DELAY_MS = 500;

export interface HealthItemDeps {
  readonly gateway: WorkspaceGateway;
  readonly presenter: MigrationPresenter;
  readonly secrets: vscode.SecretStorage;
  readonly log: vscode.LogOutputChannel;
}

function row(c: HealthCheck): string {
  return `| $(${HEALTH_ICONS[c.level]}) ${md(c.label)} | ${md(c.endpoint || '(none)')} | ${md(healthStateText(c))} |`;
}

export function healthTooltip(report: HealthReport, intervalSeconds: number): vscode.MarkdownString {
  const lines = ['**Orchestra Migrate** — services', ''];
  if (report.unconfigured) {
    lines.push(
      'Nothing is configured in this folder yet, so no server is checked. Run **Orchestra: Initialize Configuration**, then set the memory endpoint.',
    );
  } else if (report.checks.length) {
    lines.push('| Service | Endpoint | State |', '| --- | --- | --- |');
    lines.push(...report.checks.map(row));
  } else {
    lines.push('No memory server is configured.');
  }
  const every = intervalSeconds > 0 ? `every ${intervalSeconds} s` : 'on changes only';
  lines.push('', `Checked ${new Date(report.checkedAt).toLocaleTimeString()} (${every}). Click to check now.`);
  const tooltip = new vscode.MarkdownString(lines.join('\n'));
  tooltip.supportThemeIcons = true;
  return tooltip;
}

export class HealthItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subscriptions: vscode.Disposable[] = [];
  private interval?: NodeJS.Timeout;
  private pending?: NodeJS.Timeout;
  private running?: Promise<HealthReport | undefined>;
  private again = false;
  private last?: HealthReport;
  /** Kept between checks so the memory clients' breakers carry over; one per workspace. */
  private checker?: { readonly workspace: Workspace; readonly health: WorkspaceHealth };
  /** Logged when a service's level changes, not on every check. */
  private readonly loggedLevels = new Map<string, string>();
  private disposed = false;
  private readonly checked = new vscode.EventEmitter<HealthReport>();
  /** Fires after every check that produced a report, once the item shows it. */
  readonly onDidCheck = this.checked.event;
  private shownPick?: HealthPick;

  constructor(private readonly deps: HealthItemDeps) {
    this.item = vscode.window.createStatusBarItem(HEALTH_ITEM_ID, vscode.StatusBarAlignment.Left, 49);
    this.item.name = 'Orchestra Service Health';
    this.item.command = COMMAND_IDS.checkHealth;
    this.subscriptions.push(
      this.checked,
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration(settingId(SETTING_KEYS.healthIntervalSeconds))) this.restartInterval();
        if (event.affectsConfiguration(SETTINGS_SECTION)) this.schedule();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.schedule(0)),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.schedule()),
      deps.secrets.onDidChange((event) => {
        if (event.key === MEMORY_API_KEY_SECRET) this.schedule();
      }),
      // A config file saved, or a run that recorded the API URL: the services to check may differ.
      deps.presenter.onDidRender(() => this.scheduleIfChanged()),
    );
  }

  /** The quick pick the item's click opens (its code loads then); it follows onDidCheck while open. */
  get pick(): HealthPick {
    if (!this.shownPick) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { HealthPick } = require('./health-pick') as typeof HealthPickModule;
      this.shownPick = new HealthPick({ onDidCheck: this.onDidCheck, log: this.deps.log });
      this.subscriptions.push(this.shownPick);
    }
    return this.shownPick;
  }

  /** The first check follows the presenter's first configuration load (see scheduleIfChanged). */
  start(): void {
    this.restartInterval();
  }

  /** Checks now (one check at a time; a call during a check waits for it and then checks again). */
  check(): Promise<HealthReport | undefined> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let report: HealthReport | undefined;
      try {
        do {
          this.again = false;
          report = await this.checkOnce();
        } while (this.again && !this.disposed);
      } finally {
        this.running = undefined;
      }
      return report;
    })();
    return this.running;
  }

  /** The last report (for tests and the command). */
  get lastReport(): HealthReport | undefined {
    return this.last;
  }

  get text(): string {
    return this.item.text;
  }

  get tooltip(): string {
    const tooltip = this.item.tooltip;
    return typeof tooltip === 'string' ? tooltip : (tooltip?.value ?? '');
  }

  /** What a screen reader says of the item now. */
  get accessibleLabel(): string {
    return this.item.accessibilityInformation?.label ?? '';
  }

  /** The item's background colour id: amber when slow, red when down, undefined when ok. */
  get background(): string | undefined {
    return (this.item.backgroundColor as vscode.ThemeColor | undefined)?.id;
  }

  /** The item without a report: every field set together, so the spoken label never lags the text. */
  private showState(text: string, tooltip: string): void {
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = undefined;
    this.item.accessibilityInformation = { label: unCheckedLabel(text) };
    this.item.show();
  }

  private async checkOnce(): Promise<HealthReport | undefined> {
    if (this.disposed) return undefined;
    const workspace = this.deps.gateway.current();
    if (!workspace) {
      this.item.hide();
      return undefined;
    }
    if (!vscode.workspace.isTrusted) {
      this.showState(
        '$(workspace-untrusted) Services not checked',
        'Orchestra Migrate checks the memory servers and the API only in a trusted workspace.',
      );
      return undefined;
    }
    if (!this.last) this.showState('$(sync~spin) Checking services', 'Orchestra Migrate is checking the services.');
    let report: HealthReport;
    try {
      report = await this.checkerFor(workspace).check({ passive: true });
    } catch (error) {
      // A configuration that does not load: the tree says why; here, that nothing was checked.
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      this.showState(
        '$(circle-slash) Services not checked',
        `Orchestra Migrate could not check the services: ${message}`,
      );
      return undefined;
    }
    if (this.disposed) return report;
    this.last = report;
    this.render(report);
    this.logChanges(report);
    this.checked.fire(report);
    return report;
  }

  private render(report: HealthReport): void {
    this.item.text = healthText(report);
    this.item.tooltip = healthTooltip(report, this.intervalSeconds());
    this.item.backgroundColor =
      report.level === 'down'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : report.level === 'slow'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    this.item.accessibilityInformation = { label: healthAccessibilityLabel(report) };
    this.item.show();
  }

  /** The workspace's checker, opened on first use and replaced when the folder changes. */
  private checkerFor(workspace: Workspace): WorkspaceHealth {
    if (this.checker?.workspace !== workspace) {
      this.closeChecker();
      this.checker = { workspace, health: workspace.healthChecker() };
    }
    return this.checker.health;
  }

  private closeChecker(): void {
    const checker = this.checker;
    this.checker = undefined;
    checker?.health
      .close()
      .catch((error: unknown) => this.deps.log.warn(`closing the health checker failed: ${String(error)}`));
  }

  private logChanges(report: HealthReport): void {
    for (const c of report.checks) {
      const key = `${c.service} ${c.endpoint}`;
      if (this.loggedLevels.get(key) === c.level) continue;
      this.loggedLevels.set(key, c.level);
      const line = `health: ${c.label} ${c.endpoint || '(no endpoint)'} ${c.level}${c.latencyMs !== undefined ? ` (${c.latencyMs} ms)` : ''}: ${c.message}`;
      if (c.level === 'down') this.deps.log.warn(line);
      else this.deps.log.info(line);
    }
  }

  private intervalSeconds(): number {
    const value = vscode.workspace
      .getConfiguration(SETTINGS_SECTION)
      .get<number>(SETTING_KEYS.healthIntervalSeconds, 60);
    return Number.isFinite(value) && value > 0 ? Math.min(value, 3600) : 0;
  }

  private restartInterval(): void {
    if (this.interval) clearInterval(this.interval);
    this.interval = undefined;
    const seconds = this.intervalSeconds();
    if (seconds > 0 && !this.disposed) this.interval = setInterval(() => void this.check(), seconds * 1000);
  }

  private schedule(delayMs = CHANGE_DELAY_MS): void {
    if (this.disposed) return;
    if (this.pending) clearTimeout(this.pending);
    this.pending = setTimeout(() => {
      this.pending = undefined;
      void this.check();
    }, delayMs);
  }

  /** The migration view redraws on every state write; only a new configuration load needs a check. */
  private lastLoadSeen: unknown;
  private scheduleIfChanged(): void {
    const load = this.deps.presenter.lastLoad;
    if (load === this.lastLoadSeen) return;
    // The first load (at start) is checked at once; later ones may come in bursts.
    const first = this.lastLoadSeen === undefined;
    this.lastLoadSeen = load;
    this.schedule(first ? 0 : CHANGE_DELAY_MS);
  }

  dispose(): void {
    this.disposed = true;
    if (this.interval) clearInterval(this.interval);
    if (this.pending) clearTimeout(this.pending);
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.closeChecker();
    this.item.dispose();
  }
}
