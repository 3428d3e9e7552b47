/**
 * Every place a workspace keeps its files, resolved once from the configuration: the
 * state file and its lock, the reports, the memory clients' outboxes, the logs. Relative
 * settings are relative to the workspace folder (the loader's root), never to the
 * process's working folder.
 */
import * as path from 'node:path';
import type { ResolvedConfig } from '../config/types';
import { lockPath } from '../migration/lock';
import { statePath } from '../migration/store';
import { reportFileName } from '../report/markdown';

export interface WorkspacePaths {
  /** The workspace folder the relative settings are resolved against. */
  readonly root: string;
  readonly configDir: string;
  readonly stateDir: string;
  readonly reportDir: string;
  readonly outboxDir: string;
  readonly logDir: string;
  /** The engine's log file (log.dir). */
  readonly logFile: string;
  /** Undefined while no project is configured: there is no migration to keep. */
  readonly stateFile?: string;
  readonly lockFile?: string;
  /** Where `orchestra-migrate report` writes the Markdown report. */
  readonly reportFile?: string;
}

export const LOG_FILE_NAME = 'orchestra-migrate.log';

export function workspacePaths(resolved: Pick<ResolvedConfig, 'root' | 'configDir' | 'config'>): WorkspacePaths {
  const { root, config } = resolved;
  const at = (dir: string) => path.resolve(root, dir);
  const stateDir = at(config.state.dir);
  const reportDir = at(config.report.dir);
  const logDir = at(config.log.dir);
  const projectId = config.projectId;
  return {
    root,
    configDir: resolved.configDir,
    stateDir,
    reportDir,
    outboxDir: at(config.memory.outboxDir),
    logDir,
    logFile: path.join(logDir, LOG_FILE_NAME),
    ...(projectId
      ? {
          stateFile: statePath(stateDir, projectId),
          lockFile: lockPath(stateDir, projectId),
          reportFile: path.join(reportDir, reportFileName(projectId)),
        }
      : {}),
  };
}
