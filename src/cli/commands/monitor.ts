import * as path from 'node:path';
import { loadConfig } from '../../core/config';
import { lockPath } from '../../core/migration/lock';
import { StateFileMonitor, type MonitorSnapshot } from '../../core/migration/monitor';
import type { HistoryEvent } from '../../core/migration/state';
import { statePath } from '../../core/migration/store';
import { EXIT_OK, type CliCommand } from '../command';
import { parseFlags } from './migration-context';
import { requireProject } from '../../core/config/project';

const USAGE = 'orchestra-migrate monitor [--once] [--json]';

function line(event: HistoryEvent, json: boolean): string {
  return json ? JSON.stringify(event) : `${event.at.slice(11, 19)} ${event.message}`;
}

export const monitorCommand: CliCommand = {
  name: 'monitor',
  summary: 'Follow a running migration (from any terminal) until it finishes',
  usage: `${USAGE}\n\nPrints the state's events as they are recorded (--json: one JSON object per line), until the\nrun finishes or Ctrl-C. With --once, prints the current history and exits.`,
  async run(ctx) {
    const flags = parseFlags(ctx.argv, { booleans: ['--once', '--json'], values: [], usage: USAGE });
    const resolved = await loadConfig({ dir: ctx.cwd, env: ctx.env });
    const projectId = requireProject(resolved.config, ctx.env);
    const dir = path.resolve(resolved.root, resolved.config.state.dir);
    const json = flags.booleans.has('--json');
    const monitor = new StateFileMonitor(statePath(dir, projectId), projectId, 500);
    let printed = 0;
    let lastAt = '';
    const print = (snapshot: MonitorSnapshot, history: HistoryEvent[]) => {
      // History is bounded: continue after the last event already shown, by time.
      const fresh = printed === 0 ? history : history.filter((e) => e.at > lastAt);
      for (const event of fresh) ctx.stdout.write(line(event, json) + '\n');
      printed += fresh.length;
      if (fresh.length) lastAt = fresh[fresh.length - 1].at;
      return snapshot;
    };
    try {
      await monitor.reload();
      print(monitor.snapshot(), monitor.history());
      // A run killed mid-way still reads "running": following it would never end.
      const interrupted = (snapshot: MonitorSnapshot) => {
        if (!snapshot.interrupted) return false;
        ctx.stderr.write(
          `The run ${snapshot.run?.id ?? ''} stopped before finishing (${snapshot.interrupted}); run execute again to resume.\n`,
        );
        return true;
      };
      if (flags.booleans.has('--once')) {
        interrupted(monitor.snapshot());
        return EXIT_OK;
      }
      if (interrupted(monitor.snapshot())) return EXIT_OK;
      ctx.stderr.write(`Following ${statePath(dir, projectId)} (lock: ${lockPath(dir, projectId)}); Ctrl-C to stop.\n`);
      await new Promise<void>((resolve) => {
        const sub = monitor.onDidChange((snapshot) => {
          print(snapshot, monitor.history());
          if ((snapshot.run && snapshot.run.status !== 'running') || interrupted(snapshot)) {
            sub.dispose();
            resolve();
          }
        });
        ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      return EXIT_OK;
    } finally {
      monitor.dispose();
    }
  },
};
