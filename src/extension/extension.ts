/**
 * Activation: builds the one context every command receives and wires the views to the
 * application layer. Keep it cheap: nothing here loads the engine, a cloud or a network
 * module; the gateway requires the engine bundle on the first configuration load. What
 * activation shows (the tree, the status bar items) is built here; the commands and the
 * panels load on first use, each from a bundle file of its own (esbuild.js EXTENSION_CHUNKS).
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import * as vscode from 'vscode';
import type { EnvironmentDetection } from '../core/environment';
import { registerCommands } from './commands';
import { CommandFailures } from './failures';
import { ConfigWatcher } from './config-watcher';
import { PHASES_SHOWN_MARK, SETTING_KEYS, VIEW_IDS, settingId } from './constants';
import type { OrchestraContext } from './context';
import { detectEditorEnvironment } from './environment';
import { WorkspaceGateway } from './gateway';
import { HealthItem } from './health-item';
import { createLogChannel } from './log';
import { PhaseTreeProvider } from './phase-tree';
import type * as PlanPanelModule from './plan-panel';
import type { PlanPanel } from './plan-panel';
import { PlanTracker } from './plan-tracker';
import { MigrationPresenter } from './presenter';
import type * as ReportPanelModule from './report-panel';
import type { ReportPanel } from './report-panel';
import { EnvironmentStatusItem } from './status-bar';

function describe(detection: EnvironmentDetection): string {
  const signals = detection.evidence.map((e) => `${e.signal}${e.value ? `=${e.value}` : ''}`).join(', ');
  return `${detection.kind}${detection.forcedBy ? ` (forced by ${detection.forcedBy})` : ''} [${signals}]`;
}

export function activate(context: vscode.ExtensionContext): OrchestraContext {
  const started = Date.now();
  const own = <T extends vscode.Disposable>(disposable: T): T => {
    context.subscriptions.push(disposable);
    return disposable;
  };
  const log = own(createLogChannel());
  const phaseTree = own(new PhaseTreeProvider());
  const treeView = own(vscode.window.createTreeView(VIEW_IDS.phases, { treeDataProvider: phaseTree }));
  const statusItem = own(new EnvironmentStatusItem());
  let detection = detectEditorEnvironment();
  statusItem.update(detection);

  const gateway = own(new WorkspaceGateway({ secrets: context.secrets, log }));
  const watcher = own(new ConfigWatcher());
  const plans = new PlanTracker();
  const presenter = own(
    new MigrationPresenter({ gateway, watcher, tree: phaseTree, treeView, statusItem, log, plans }),
  );
  const health = own(new HealthItem({ gateway, presenter, secrets: context.secrets, log }));
  const failures = own(new CommandFailures(() => log.show(true)));
  const runs: OrchestraContext['runs'] = { running: false };
  // The panels load with the first command that opens one.
  let report: ReportPanel | undefined;
  let planPanel: PlanPanel | undefined;
  const openReport = () => {
    const { ReportPanel } = require('./report-panel') as typeof ReportPanelModule;
    return own(new ReportPanel({ extensionUri: context.extensionUri, gateway, presenter, log }));
  };
  const openPlanPanel = () => {
    const { PlanPanel } = require('./plan-panel') as typeof PlanPanelModule;
    const deps = { extensionUri: context.extensionUri, logUri: context.logUri, log, gateway, presenter, plans };
    return own(new PlanPanel({ ...deps, failures, runs }));
  };

  const ctx: OrchestraContext = {
    extension: context,
    log,
    logUri: context.logUri,
    gateway,
    presenter,
    plans,
    phaseTree,
    statusItem,
    health,
    get report() {
      return (report ??= openReport());
    },
    get planPanel() {
      return (planPanel ??= openPlanPanel());
    },
    runs,
    failures,
    environment: () => detection,
    redetectEnvironment() {
      detection = detectEditorEnvironment();
      statusItem.update(detection);
      log.info(`environment: ${describe(detection)}`);
      return detection;
    },
    reportHtml: () => report?.html,
  };

  context.subscriptions.push(
    ...registerCommands(ctx),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(settingId(SETTING_KEYS.environment))) ctx.redetectEnvironment();
    }),
  );

  const firstRender = presenter.onDidRender(() => {
    performance.mark(PHASES_SHOWN_MARK);
    firstRender.dispose();
  });
  context.subscriptions.push(firstRender);
  presenter.start();
  health.start();
  log.info(
    `Orchestra Migrate ${String(context.extension.packageJSON.version)} activated in ${Date.now() - started} ms; ` +
      `environment: ${describe(detection)}`,
  );
  return ctx;
}

/** Everything is disposed through context.subscriptions. */
export function deactivate(): void {}
