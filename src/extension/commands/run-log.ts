import type { Workspace } from '../../core/workspace';
import type { OrchestraContext } from '../context';

/**
 * Runs `work` with a log file of its own under log.dir (log.level, redacted), as every CLI
 * run has: the engine's lines and events go there as well as to the Output channel. Without
 * a loadable configuration there is no log.dir; `work` then reports the problem itself.
 */
export async function withRunLog<T>(
  ctx: OrchestraContext,
  workspace: Workspace,
  name: string,
  work: () => Thenable<T> | Promise<T>,
): Promise<T> {
  const file = await workspace.startRunLog(name);
  ctx.runs.logFile = file;
  if (file) ctx.log.info(`this run's log file: ${file}`);
  try {
    return await work();
  } finally {
    await workspace.endRunLog().catch((error: unknown) => ctx.log.warn(String(error)));
  }
}
