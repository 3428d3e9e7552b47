/**
 * Activation: the glue between VS Code and the engine. Keep it cheap: nothing
 * here loads a cloud or network module; those load on first use.
 */
import * as vscode from 'vscode';
import type { EnvironmentDetection } from '../core/environment';
import type { OrchestraApi } from './api';
import { registerCommands } from './commands';
import { CommandFailures } from './commands/failures';
import { openReportHtml } from './commands/show-report';
import { PHASES_SHOWN_MARK, SETTING_KEYS, VIEW_IDS, settingId } from './constants';
import type { OrchestraContext } from './context';
import { detectEditorEnvironment } from './environment';
import { createLogChannel } from './log';
import { WorkspaceGateway } from './gateway';
import { MigrationView } from './migration-view';
import { PhaseTreeProvider } from './phase-tree';
import { EnvironmentStatusItem } from './status-bar';
import { HealthItem } from './health-item';

function describe(detection: EnvironmentDetection): string {
  const signals = detection.evidence.map((e) => `${e.signal}${e.value ? `=${e.value}` : ''}`).join(', ');
  return `${detection.kind}${detection.forcedBy ? ` (forced by ${detection.forcedBy})` : ''} [${signals}]`;
}

export function activate(context: vscode.ExtensionContext): OrchestraApi {
  const started = Date.now();
  const log = createLogChannel();
  context.subscriptions.push(log);

  const phaseTree = new PhaseTreeProvider();
  const treeView = vscode.window.createTreeView(VIEW_IDS.phases, { treeDataProvider: phaseTree });
  const statusItem = new EnvironmentStatusItem();
  context.subscriptions.push(phaseTree, treeView, statusItem);

  let detection = detectEditorEnvironment();
  statusItem.update(detection);
  const gateway = new WorkspaceGateway({ secrets: context.secrets, log });
  const migration = new MigrationView({ tree: phaseTree, treeView, statusItem, log, gateway });
  context.subscriptions.push(gateway, migration);
  const health = new HealthItem({ migration, secrets: context.secrets, log });
  context.subscriptions.push(health);
  const failures = new CommandFailures();
  context.subscriptions.push(failures);

  const ctx: OrchestraContext = {
    extension: context,
    log,
    phaseTree,
    statusItem,
    migration,
    health,
    failures,
    environment: () => detection,
    redetectEnvironment() {
      detection = detectEditorEnvironment();
      statusItem.update(detection);
      log.info(`environment: ${describe(detection)}`);
      return detection;
    },
  };

  context.subscriptions.push(
    ...registerCommands(ctx),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(settingId(SETTING_KEYS.environment))) ctx.redetectEnvironment();
    }),
  );

  const firstRender = migration.onDidRender(() => {
    performance.mark(PHASES_SHOWN_MARK);
    firstRender.dispose();
  });
  context.subscriptions.push(firstRender);
  migration.start();
  health.start();
  log.info(
    `Orchestra Migrate ${String(context.extension.packageJSON.version)} activated in ${Date.now() - started} ms; ` +
      `environment: ${describe(detection)}`,
  );
  return {
    phaseTree,
    statusItem,
    migration,
    health,
    failures,
    environment: () => detection,
    reportHtml: openReportHtml,
    logUri: context.logUri,
  };
}

/** Everything is disposed through context.subscriptions. */
export function deactivate(): void {}
