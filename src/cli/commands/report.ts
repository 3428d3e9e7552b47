/**
 * `orchestra-migrate report`: the Markdown migration report from the state file (never
 * calls Google), written under report.dir, or to stdout.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../core/errors';
import { reportFileName } from '../../core/workspace';
import { assertNoEscapingLink, notInTheWay, prepareOutFile } from '../../core/workspace/out-file';
import { EXIT_OK, type CliCommand } from '../command';
import { parseFlags, withWorkspace } from '../flags';

const USAGE = 'orchestra-migrate report [--html] [--stdout | --out FILE]';

export const reportCommand: CliCommand = {
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
    const html = flags.booleans.has('--html');
    const toStdout = flags.booleans.has('--stdout');
    return withWorkspace(ctx, async (workspace) => {
      const { projectId, paths } = await workspace.config();
      const name = reportFileName(projectId || 'project').replace(/\.md$/, html ? '.html' : '.md');
      const file = out ? path.resolve(ctx.cwd, out) : path.join(paths.reportDir, name);
      // A Markdown file gets its chart as an SVG file beside it; a page carries it inline.
      const chartFile = !html && !toStdout ? file.replace(/(\.md)?$/i, '.timeline.svg') : undefined;
      const report = await workspace.report(
        html
          ? { standalone: { stylesheet: await reportStylesheet(), title: `Migration report: ${projectId}` } }
          : { timelineImage: chartFile && path.basename(chartFile) },
      );
      const text = report.html ?? report.markdown;
      if (toStdout) {
        ctx.stdout.write(text);
        return EXIT_OK;
      }
      for (const f of [file, chartFile]) {
        if (f) await assertNoEscapingLink(f, paths.root, out ? `--out ${f}` : `report.dir ${f}`);
      }
      if (out) await prepareOutFile(file, paths.root);
      const where = out ? `--out ${file}` : `report.dir ${path.dirname(file)}`;
      if (!out)
        await notInTheWay(path.dirname(file), 'folder', where, () => fs.mkdir(path.dirname(file), { recursive: true }));
      const timeline = report.timeline;
      if (chartFile && timeline)
        await notInTheWay(chartFile, 'file', where, () => fs.writeFile(chartFile, timeline, 'utf8'));
      await notInTheWay(file, 'file', where, () => fs.writeFile(file, text, 'utf8'));
      const shown = (f: string) => path.relative(ctx.cwd, f) || f;
      const chart = chartFile && report.timeline ? ` and its timeline chart ${shown(chartFile)}` : '';
      ctx.stdout.write(`Wrote ${shown(file)}${chart}\n`);
      return EXIT_OK;
    });
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
