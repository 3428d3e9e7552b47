/**
 * `orchestra-migrate report`: the Markdown migration report from the state file (never
 * calls Google), written under report.dir, or to stdout.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../../core/config';
import { InputError } from '../../core/errors';
import { readStateFile, statePath } from '../../core/migration/store';
import { standaloneReportPage } from '../../core/report/html';
import { migrationReport, reportFileName } from '../../core/report/markdown';
import { timelineSvg } from '../../core/report/timeline';
import { EXIT_OK, type CliCommand } from '../command';
import { parseFlags } from './migration-context';

const USAGE = 'orchestra-migrate report [--html] [--stdout | --out FILE]';

export const reportCommand: CliCommand = {
  name: 'report',
  summary: 'Write the Markdown migration report (phases, metrics, outputs, timeline) from the state file',
  usage:
    `${USAGE}\n\nWrites <report.dir>/${reportFileName('<project>')} (default .orchestra/reports), or prints it with\n` +
    '--stdout, or writes FILE with --out. --html: one HTML page instead (its stylesheet inline, no script),\n' +
    '.html beside the .md. Reads the state file only.',
  async run(ctx) {
    const flags = parseFlags(ctx.argv, { booleans: ['--stdout', '--html'], values: ['--out'], usage: USAGE });
    if (flags.positional.length) {
      throw new InputError(`report: unexpected argument '${flags.positional[0]}'`, { fix: `Usage: ${USAGE}` });
    }
    const out = flags.values.get('--out')?.join(',');
    if (out !== undefined && flags.booleans.has('--stdout')) {
      throw new InputError('report: --stdout and --out exclude each other', { fix: `Usage: ${USAGE}` });
    }
    const resolved = await loadConfig({ dir: ctx.cwd, env: ctx.env });
    const projectId = resolved.config.projectId;
    if (!projectId) {
      throw new InputError('No Google Cloud project is configured: there is no migration to report on.', {
        fix: 'Set "projectId" in config/common.json or ORCHESTRA_PROJECT_ID.',
      });
    }
    const stateFile = statePath(path.resolve(resolved.root, resolved.config.state.dir), projectId);
    const state = await readStateFile(stateFile, projectId);
    if (!state) {
      throw new InputError(`No migration state for ${projectId} yet (${stateFile}).`, {
        fix: 'Run orchestra-migrate verify, then execute; the report describes what execute did.',
      });
    }
    const html = flags.booleans.has('--html');
    const toStdout = flags.booleans.has('--stdout');
    const name = reportFileName(projectId).replace(/\.md$/, html ? '.html' : '.md');
    const file = out
      ? path.resolve(ctx.cwd, out)
      : path.join(path.resolve(resolved.root, resolved.config.report.dir), name);
    const chart = timelineSvg(state);
    // A Markdown file gets its chart as an SVG file beside it; a page carries it inline.
    const chartFile = chart && !html && !toStdout ? file.replace(/(\.md)?$/i, '.timeline.svg') : undefined;
    const markdown = migrationReport(state, chartFile ? { timelineImage: path.basename(chartFile) } : {});
    const text = html
      ? standaloneReportPage(markdown, await reportStylesheet(), `Migration report: ${projectId}`, chart)
      : markdown;
    if (toStdout) {
      ctx.stdout.write(text);
      return EXIT_OK;
    }
    await fs.mkdir(path.dirname(file), { recursive: true });
    if (chartFile && chart) await fs.writeFile(chartFile, chart, 'utf8');
    await fs.writeFile(file, text, 'utf8');
    const shown = (f: string) => path.relative(ctx.cwd, f) || f;
    ctx.stdout.write(`Wrote ${shown(file)}${chartFile ? ` and its timeline chart ${shown(chartFile)}` : ''}\n`);
    return EXIT_OK;
  },
};

/**
 * media/report.css, the stylesheet the editor's report tab uses: beside dist/ in the
 * repository and in the VSIX (dist/cli.js), three folders up from this source file.
 */
async function reportStylesheet(): Promise<string> {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      return await fs.readFile(path.join(dir, 'media', 'report.css'), 'utf8');
    } catch {
      if (path.dirname(dir) === dir) {
        throw new InputError('The report stylesheet media/report.css is missing from this installation.', {
          fix: 'Reinstall Orchestra Migrate, or write the Markdown report (without --html).',
        });
      }
    }
  }
}
