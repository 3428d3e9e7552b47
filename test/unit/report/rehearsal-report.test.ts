/**
 * The report people share, from a real rehearsal against the emulators: a first run
 * that fails (the Cloud Run service's operation fails, injected), a second that
 * finishes, a third that changes nothing. What a reader checks: the per-phase counts
 * still say what the migration did after the rerun that did nothing, the outputs are
 * tables, the events read as sentences, the colours have a legend, and the Markdown
 * export and the `--html` page carry the same facts.
 */
import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { renderReportBody } from '../../../src/core/report/html';
import type { WorkspaceReport } from '../../../src/core/workspace';
import { openEngine, startWorld, type World } from '../migration/world';

type Counts = Record<string, string[]>;

/** Cells of every row of the section's tables (header row first). */
function tableRows(html: string, heading: string): string[][] {
  const section = html.split(`<h2>${heading}</h2>`)[1].split('<h2>')[0];
  return [...section.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1].matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map((cell) => cell[1]),
  );
}

/** Phase title → [Steps, Created, Updated, Unchanged, Ran, Failed, Blocked]. */
function phaseCounts(html: string): Counts {
  const rows = tableRows(html, 'Phases');
  const header = rows[0];
  assert.deepEqual(header.slice(3, 10), ['Steps', 'Created', 'Updated', 'Unchanged', 'Ran', 'Failed', 'Blocked']);
  return Object.fromEntries(rows.slice(1).map((r) => [r[1], r.slice(3, 10)]));
}

/** The page's facts: headings and table cells, in order, without the chart. */
function facts(html: string): string[] {
  const body = html.replace(/<figure class="timeline">[\s\S]*?<\/figure>/, '');
  return (
    [...body.matchAll(/<(h[1-3]|td|th|li|p)>([\s\S]*?)<\/\1>/g)]
      .map((m) => `${m[1]}: ${m[2]}`)
      // Each file says when it was made.
      .filter((f) => !f.startsWith('p: Generated '))
  );
}

describe('the report of a real rehearsal: tables, plain words, colours with a legend, counts true after reruns', function () {
  this.timeout(180_000);
  let world: World;
  const pages: WorkspaceReport[] = [];
  let exported: WorkspaceReport;
  let standalone: WorkspaceReport;
  let stateOutputs: Record<string, unknown>;

  before(async () => {
    world = await startWorld({ records: 30 });
    // Run 1 fails at the Cloud Run service: its operation ends FAILED_PRECONDITION.
    world.emulator.setFaults({
      operationFailures: [
        { count: 1, pathContains: '/locations/us-central1/services', code: 9, message: 'Revision is not ready.' },
      ],
    });
    const page = { cspSource: 'https://webview.test', styleUri: 'https://webview.test/report.css', title: 'Report' };
    for (let run = 1; run <= 3; run++) {
      const h = await openEngine(world.config, world.workspace);
      try {
        const result = await h.engine.execute();
        assert.equal(result.status, run === 1 ? 'failed' : 'completed', `run ${run}`);
        pages.push(await h.workspace.report({ page }));
        if (run === 3) {
          stateOutputs = h.engine.state().outputs as Record<string, unknown>;
          exported = await h.workspace.report({ timelineImage: 'report.timeline.svg' });
          const stylesheet = await readFile(path.resolve(__dirname, '../../../media/report.css'), 'utf8');
          standalone = await h.workspace.report({ standalone: { stylesheet, title: 'Report' } });
        }
      } finally {
        await h.close();
      }
    }
  });
  after(async () => world?.close());

  it('per phase, created/updated/unchanged say what the migration did, and a rerun that changes nothing keeps them', () => {
    const [afterFailure, afterFinish, afterNothing] = pages.map((p) => phaseCounts(p.html!));
    assert.deepEqual(afterNothing, afterFinish, 'the third run changed nothing, and no count moved');
    // Steps, Created, Updated, Unchanged, Ran, Failed, Blocked
    assert.deepEqual(afterNothing['API Deployment'], ['3', '3', '0', '0', '0', '0', '0']);
    assert.deepEqual(afterNothing['Workstation Configuration'], ['3', '3', '0', '0', '0', '0', '0']);
    assert.deepEqual(afterNothing.Validation.slice(4), ['3', '0', '0'], 'its checks ran');
    const core = afterNothing['Core Infrastructure'].map(Number);
    assert.equal(core[1], 3, 'service account, repository, bucket');
    assert.ok(core[2] >= 1, 'APIs enabled and roles granted: changed in place, counted as updated');
    // After the failed run: the service failed, what waits on it blocked; the rerun set them right.
    assert.deepEqual(afterFailure['API Deployment'].slice(1), ['2', '0', '0', '0', '1', '0']);
    assert.equal(afterFailure.Validation[6], '3');
    const lastRun = pages[2].markdown.split('\n').find((l) => l.startsWith('- What it did: '));
    assert.match(
      lastRun ?? '',
      /^- What it did: ⬜ \d+ unchanged · 🟪 \d+ ran$/,
      'the last run itself changed nothing',
    );
  });

  it('outputs are tables: the API URL in a row, the memory copy field by field', () => {
    const html = pages[2].html!;
    const simple = Object.fromEntries(tableRows(html, 'Outputs').filter((r) => r.length === 2) as [string, string][]);
    assert.equal(simple['API URL'], `<code>${String(stateOutputs.apiUrl)}</code>`);
    const copy = html.split('<h3>Memory copy</h3>')[1].split('</table>')[0];
    assert.match(copy, /<td>Records<\/td>\s*<td>30<\/td>/);
    assert.match(copy, /<td>Checksum verdict<\/td>\s*<td><code>match<\/code><\/td>/);
    assert.doesNotMatch(html.split('<h2>Outputs</h2>')[1].split('<h2>')[0], /\{&quot;|\{"/, 'no JSON');
  });

  it('events read as sentences naming steps by their titles, each marked with its colour', () => {
    const events = (page: WorkspaceReport) =>
      tableRows(page.html!, 'Timeline')
        .slice(1)
        .map((r) => r[2]);
    const first = events(pages[0]);
    assert.ok(first.includes('🟩 Created Runtime service account'), first.join('\n'));
    assert.ok(first.includes('🟥 Cloud Run service failed: run: 400 FAILED_PRECONDITION: Revision is not ready.'));
    assert.ok(first.includes('🟨 API latency not run: it needs Cloud Run service, which failed'));
    assert.ok(first.some((e) => /^🟥 Run \S+ failed$/.test(e)));
    const last = events(pages[2]);
    assert.ok(last.includes('⬜ Runtime service account: already as desired'), last.join('\n'));
    assert.ok(last.includes('⬜ Copy memory records: nothing to do'));
    assert.ok(last.includes('🟪 Ran Memory read latency'));
    assert.ok(last.some((e) => /^Run \S+ completed$/.test(e)));
    assert.match(pages[2].markdown, /A step's start is left out once it has ended: the chart shows when/);
    for (const e of [...first, ...last]) {
      assert.doesNotMatch(e, /->|: (none|create|update|run)$|\b[a-z]+(-[a-z]+)+\/[a-z-]+/, `not plain words: ${e}`);
      assert.doesNotMatch(e, /^Started /, "a step's start is in the chart, its end in the table");
    }
  });

  it('the timeline is coloured by outcome, with a legend in the chart and in the text', () => {
    const svg = exported.timeline!;
    const legend = /<g role="list" aria-label="Legend">([\s\S]*?)<\/g>\n?<\/svg>/.exec(svg)?.[1] ?? '';
    const words = [...legend.matchAll(/<text[^>]*>([^<]+)<\/text>/g)].map((m) => m[1]);
    assert.deepEqual(words, ['phase', 'unchanged', 'ran'], 'the outcomes the last run shows, in the legend');
    const fills = new Set(
      [...svg.matchAll(/<rect [^>]*fill="(#\w+)"[^>]*><title>[^<]*: (unchanged|ran),/g)].map((m) => `${m[2]} ${m[1]}`),
    );
    assert.deepEqual([...fills].sort(), ['ran #8250df', 'unchanged #8c959f']);
    for (const source of [exported.markdown, standalone.html!])
      assert.ok(source.includes('Colours by outcome: 🟩 created · 🟦 updated · ⬜ unchanged · 🟪 ran · 🟥 failed'));
  });

  it('the Markdown export and the --html page carry the same facts and the same chart', () => {
    const fromMarkdown = facts(renderReportBody(exported.markdown));
    const fromHtml = facts(standalone.html!);
    // The export links its chart as an image beside it; the page has it inline.
    const image = (f: string) => f.startsWith('p: <img ');
    assert.deepEqual(
      fromMarkdown.filter((f) => !image(f)),
      fromHtml,
    );
    assert.ok(fromMarkdown.some(image), 'the export shows its chart file');
    assert.ok(standalone.html!.includes(exported.timeline!), 'the page has the same chart inline');
    assert.ok(fromHtml.length > 100);
  });
});
