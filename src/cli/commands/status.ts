import { PHASES, PHASE_STATUS_LABELS } from '../../core/migration/catalog';
import { EXIT_OK, type CliCommand } from '../command';

/** First version: the seven phases, each not started (the engine issue adds live state). */
export const statusCommand: CliCommand = {
  name: 'status',
  summary: 'Show the migration phases and their status',
  usage: 'orchestra-migrate status [--json]',
  async run(ctx) {
    const json = ctx.argv.includes('--json');
    const phases = PHASES.map((p) => ({ id: p.id, title: p.title, order: p.order, status: 'not-started' as const }));
    if (json) {
      ctx.stdout.write(JSON.stringify({ phases }, null, 2) + '\n');
    } else {
      for (const p of phases) ctx.stdout.write(`${p.order}. ${p.title.padEnd(28)} ${PHASE_STATUS_LABELS[p.status]}\n`);
    }
    return EXIT_OK;
  },
};
