import type { MonitorSnapshot } from '../../core/migration/monitor';
import type { HistoryEvent } from '../../core/migration/state';
import { EXIT_OK, type CliCommand } from '../command';
import { parseFlags, withWorkspace } from '../flags';

const USAGE = 'orchestra-migrate monitor [--once] [--json]';

function line(event: HistoryEvent, json: boolean): string {
  return json ? JSON.stringify(event) : `${event.at.slice(11, 19)} ${event.message}`;
}

export const monitorCommand: CliCommand = {
  usage: `${USAGE}\n\nPrints the state's events as they are recorded (--json: one JSON object per line), until the\nrun finishes or Ctrl-C. With --once, prints the current history and exits.`,
  async run(ctx) {
    const flags = parseFlags(ctx.argv, { booleans: ['--once', '--json'], values: [], usage: USAGE });
    const json = flags.booleans.has('--json');
    const { monitor, paths } = await withWorkspace(ctx, async (workspace) => {
      const { paths } = await workspace.config();
      return { monitor: workspace.follow(500), paths };
    });
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
      ctx.stderr.write(`Following ${paths.stateFile} (lock: ${paths.lockFile}); Ctrl-C to stop.\n`);
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
