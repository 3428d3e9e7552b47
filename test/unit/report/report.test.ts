import * as assert from 'node:assert/strict';
import { builtInPhases } from '../../../src/core/migration/phases';
import { emptyState, pushHistory, type HistoryEvent, type MigrationState } from '../../../src/core/migration/state';
import { eventLine, eventWording, namesOf } from '../../../src/core/report/events';
import { shownEvents } from '../../../src/core/report/history';
import { renderReportBody, reportPage } from '../../../src/core/report/html';
import { duration, migrationReport } from '../../../src/core/report/markdown';
import { timelineSvg } from '../../../src/core/report/timeline';

const PHASES = builtInPhases().infos();
const PHASE_IDS = PHASES.map((p) => p.id);

const AT = new Date('2026-11-28T12:00:00.000Z');

/** A run as execute records it: one phase failed with a server's message full of markup. */
function recorded(): MigrationState {
  const state = emptyState('demo-project', AT, PHASE_IDS);
  state.run = {
    id: 'run-7',
    startedAt: '2026-11-28T11:00:00.000Z',
    finishedAt: '2026-11-28T11:02:05.000Z',
    status: 'failed',
    phases: ['core-infrastructure', 'memory-system'],
    pid: 4242,
    host: 'laptop',
  };
  state.phases['core-infrastructure'].status = 'completed';
  Object.assign(state.phases['core-infrastructure'].metrics, { steps: 5, created: 4, unchanged: 1, durationMs: 4200 });
  const done = (id: string, origin: 'created' | 'adopted', action: 'create' | 'none') => {
    state.steps[id] = { id, phase: 'core-infrastructure', status: 'done', action, origin, attempts: 1 };
  };
  for (const id of ['service-account', 'repository', 'reports-bucket', 'runtime-roles'])
    done(`core-infrastructure/${id}`, 'created', 'create');
  done('core-infrastructure/api-run', 'adopted', 'none');
  state.phases['memory-system'].status = 'failed';
  state.phases['memory-system'].error =
    'PERMISSION_DENIED | see [the docs](javascript:alert(1)) <img src=x onerror=alert(2)> `rm -rf` *now*';
  state.phases['memory-system'].metrics.custom = { memory_records_copied: 100000, memory_copy_ms: 1234.5 };
  state.metrics = {
    ...state.metrics,
    runs: 3,
    steps: 7,
    created: 4,
    failed: 1,
    requests: 88,
    retries: 2,
    lastRunMs: 125_000,
  };
  state.outputs = {
    apiUrl: 'https://orchestra-api-abc-uc.a.run.app',
    memoryCopy: { records: 100000, checksum: 'ab12' },
  };
  pushHistory(state, { at: '2026-11-28T11:00:00.000Z', type: 'run-started', message: 'run run-7: core, memory' });
  pushHistory(state, {
    at: '2026-11-28T11:02:05.000Z',
    type: 'step-failed',
    phase: 'memory-system',
    message: 'memory-system/copy failed: a | b\nsecond line',
  });
  return state;
}

/** The table rows of a rendered section, as cell texts. */
function tableRows(html: string, heading: string): string[][] {
  const section = html.split(`<h2>${heading}</h2>`)[1].split('<h2>')[0];
  return [...section.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1].matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map((cell) => cell[1]),
  );
}

describe('the migration report', () => {
  it('for a view that follows the state: dated by the state, so the same state gives the same page', () => {
    const state = recorded();
    const first = migrationReport(state, PHASES, { asOfState: true, generatedAt: AT });
    const later = migrationReport(state, PHASES, { asOfState: true, generatedAt: new Date(AT.getTime() + 60_000) });
    assert.equal(first, later);
    assert.match(
      first,
      new RegExp(`\\n\\nThe migration state as of ${state.updatedAt.replace(/\./g, '\\.')}, read by`),
    );
    state.updatedAt = new Date(AT.getTime() + 5_000).toISOString();
    assert.notEqual(migrationReport(state, PHASES, { asOfState: true }), first, 'a changed state is a new page');
  });

  it('has the last run, a summary, a row per phase, the metrics, the outputs and the timeline', () => {
    const markdown = migrationReport(recorded(), PHASES, { generatedAt: AT });
    assert.match(markdown, /^# Migration report: demo-project\n\nGenerated 2026-11-28T12:00:00\.000Z /);
    assert.match(markdown, /- Run `run-7`: \*\*failed\*\*/);
    assert.match(markdown, /finished 2026-11-28T11:02:05\.000Z \(2 min 5 s\)/);
    const html = renderReportBody(markdown);
    const summary = Object.fromEntries(tableRows(html, 'Summary').slice(1) as [string, string][]);
    assert.equal(summary['Phases completed'], `1 of ${PHASES.length}`);
    assert.equal(summary['Phases failed'], '1');
    assert.equal(summary['Requests to Google Cloud'], '88');
    assert.equal(summary['Last run wall time'], '2 min 5 s');
    const phases = tableRows(html, 'Phases');
    assert.equal(phases.length, 1 + PHASES.length, 'a header and a row per phase');
    assert.deepEqual(phases[1].slice(0, 5), ['1', 'Core Infrastructure', 'completed', '5', '4']);
    assert.equal(phases[1][11], '4.2 s');
    assert.deepEqual(
      phases.slice(1).map((row) => row[2]),
      ['completed', 'not started', 'failed', 'not started', 'not started', 'not started', 'not started'],
    );
    assert.deepEqual(tableRows(html, 'Metrics').slice(1), [
      ['Memory System', '<code>memory_copy_ms</code>', '1234.50'],
      ['Memory System', '<code>memory_records_copied</code>', '100,000'],
    ]);
    assert.deepEqual(tableRows(html, 'Outputs')[1], ['API URL', '<code>https://orchestra-api-abc-uc.a.run.app</code>']);
    const timeline = tableRows(html, 'Timeline').slice(1);
    assert.deepEqual(timeline[0], ['2026-11-28 11:00:00.000', '', 'Run run-7 started: core, memory']);
    assert.deepEqual(timeline[1], [
      '2026-11-28 11:02:05.000',
      'Memory System',
      'memory-system/copy failed: a | b second line',
    ]);
  });

  it("shows a server's text as text: no link, no markup, no extra table column", () => {
    const html = renderReportBody(migrationReport(recorded(), PHASES, { generatedAt: AT }));
    const failed = tableRows(html, 'Phases')[3];
    assert.equal(failed.length, 13, 'the | in the error did not split the row');
    assert.equal(
      failed[12],
      'PERMISSION_DENIED | see [the docs](javascript:alert(1)) &lt;img src=x onerror=alert(2)&gt; `rm -rf` *now*',
    );
    assert.doesNotMatch(html, /<a |<img|<script|<em>now/);
  });

  it('keeps the newest events of a long history and says how many it left out', () => {
    const state = recorded();
    for (let i = 0; i < 150; i++) {
      pushHistory(state, {
        at: new Date(Date.parse('2026-11-28T11:10:00Z') + i).toISOString(),
        type: 'x',
        message: `event ${i}`,
      });
    }
    const markdown = migrationReport(state, PHASES, { generatedAt: AT, timelineLimit: 100 });
    assert.match(markdown, /The last 100 of 152 recorded events/);
    const timeline = tableRows(renderReportBody(markdown), 'Timeline').slice(1);
    assert.equal(timeline.length, 100);
    assert.equal(timeline[99][2], 'event 149');
    assert.equal(timeline[0][2], 'event 50');
  });

  it('before any run, says what to do', () => {
    const markdown = migrationReport(emptyState('fresh-project', AT, PHASE_IDS), PHASES, { generatedAt: AT });
    assert.match(
      markdown,
      /No run is recorded yet: run `orchestra-migrate verify`, then `orchestra-migrate execute`\./,
    );
    assert.doesNotMatch(markdown, /## Timeline|## Metrics|## Outputs/);
  });

  it('formats durations as people read them', () => {
    assert.deepEqual([0, 850, 1000, 4200, 59_999, 60_000, 125_000].map(duration), [
      '0 ms',
      '850 ms',
      '1.0 s',
      '4.2 s',
      '60.0 s',
      '1 min 0 s',
      '2 min 5 s',
    ]);
  });

  it('is a page whose policy allows its stylesheet and nothing else: no script at all', () => {
    const page = reportPage(migrationReport(recorded(), PHASES, { generatedAt: AT }), {
      cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
      styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/report.css',
      title: 'Report <demo>',
    });
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page)?.[1];
    assert.equal(
      csp,
      "default-src 'none'; style-src https://file+.vscode-resource.vscode-cdn.net; img-src https://file+.vscode-resource.vscode-cdn.net; base-uri 'none'; form-action 'none'",
    );
    assert.match(
      page,
      /<link rel="stylesheet" href="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/media\/report\.css">/,
    );
    assert.match(page, /<title>Report &#60;demo&#62;<\/title>/);
    assert.doesNotMatch(page, /<script|<[^>]*\son\w+\s*=/i, 'no script element, no event handler attribute');
    assert.doesNotMatch(page, /\sstyle=/, 'no inline style, which the policy would refuse');
    assert.match(page, /<h1>Migration report: demo-project<\/h1>/);
  });

  describe('the timeline chart (SVG Gantt of the last run)', () => {
    /** recorded() with its steps timed: core 0-4.2 s (two steps), memory copy 10-125 s, failed. */
    function timed(): MigrationState {
      const state = recorded();
      const at = (s: number) => new Date(Date.parse('2026-11-28T11:00:00.000Z') + s * 1000).toISOString();
      state.phases['core-infrastructure'].startedAt = at(0);
      state.phases['core-infrastructure'].finishedAt = at(4.2);
      state.phases['memory-system'].startedAt = at(10);
      state.phases['memory-system'].finishedAt = at(125);
      const step = (
        id: string,
        phase: 'core-infrastructure' | 'memory-system',
        from: number,
        to: number,
        ok = true,
      ) => {
        state.steps[id] = {
          id,
          phase,
          status: ok ? 'done' : 'failed',
          ...(ok ? { action: 'create' as const } : {}),
          startedAt: at(from),
          finishedAt: at(to),
          attempts: 1,
        };
      };
      step('core-infrastructure/services', 'core-infrastructure', 0, 1.5);
      step('core-infrastructure/service-account', 'core-infrastructure', 1.5, 4.2);
      step('memory-system/copy', 'memory-system', 10, 125, false);
      // A step from an earlier run: not in this run's chart.
      state.steps['hybrid-config/secret'] = {
        id: 'hybrid-config/secret',
        phase: 'hybrid-config',
        status: 'done',
        startedAt: '2026-11-27T09:00:00.000Z',
        finishedAt: '2026-11-27T09:00:01.000Z',
        attempts: 1,
      };
      return state;
    }

    function rects(svg: string) {
      return [
        ...svg.matchAll(
          /<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"[^>]*fill="(#\w+)"[^>]*><title>([^<]*)<\/title>/g,
        ),
      ].map((m) => ({ x: Number(m[1]), width: Number(m[2]), fill: m[3], tip: m[4] }));
    }

    it('draws a row a phase of the run and a row a step under it, on one time axis', () => {
      const svg = timelineSvg(timed(), PHASES)!;
      assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
      const bars = rects(svg);
      assert.deepEqual(
        bars.map((b) => b.tip.split(':')[0]),
        [
          'Core Infrastructure',
          'core-infrastructure/services',
          'core-infrastructure/service-account',
          'Memory System',
          'memory-system/copy',
        ],
        "the earlier run's step is left out",
      );
      const [core, services, account, , copy] = bars;
      const pxPerSecond = (copy.x + copy.width - core.x) / 125;
      assert.ok(Math.abs(services.width - 1.5 * pxPerSecond) < 1, 'a bar is as long as its step');
      assert.ok(Math.abs(account.x - (core.x + 1.5 * pxPerSecond)) < 1, 'and starts when its step started');
      assert.ok(Math.abs(copy.x - (core.x + 10 * pxPerSecond)) < 1);
      assert.equal(copy.fill, '#cf222e', 'a failed step is red');
      assert.equal(services.fill, '#2da44e');
      assert.match(svg, />1 min<\/text>/, "the axis is labelled in the run's units");
    });

    it("escapes every label, and uses no style the report's policy would refuse", () => {
      const state = timed();
      const evil = 'memory-system/<script>alert(1)</script>';
      state.steps[evil] = { ...state.steps['memory-system/copy'], id: evil };
      const svg = timelineSvg(state, PHASES)!;
      assert.doesNotMatch(svg, /<script|<style|\sstyle=/);
      assert.match(svg, /&#60;script&#62;alert\(1\)&#60;\/script&#62;/);
    });

    it('is absent before any run, and sits under the Timeline heading of the page', () => {
      assert.equal(timelineSvg(emptyState('demo-project', AT, PHASE_IDS), PHASES), undefined);
      const state = timed();
      const body = renderReportBody(migrationReport(state, PHASES, { generatedAt: AT }), timelineSvg(state, PHASES));
      assert.match(body, /<h2>Timeline<\/h2>\n<figure class="timeline">\n<svg [^>]*role="img"/);
    });
  });
});

describe('the report in words a reader shares', () => {
  const names = namesOf(PHASES, [
    { id: 'core-infrastructure/service-account', title: 'Runtime service account', kind: 'resource' },
    { id: 'memory-system/copy', title: 'Copy memory records', kind: 'action' },
  ]);
  const said = (event: Omit<HistoryEvent, 'at'>) => eventLine(eventWording({ at: AT.toISOString(), ...event }, names));

  it('says each kind of event as a sentence, steps and phases by their titles', () => {
    const sa = 'core-infrastructure/service-account';
    assert.deepEqual(
      [
        said({ type: 'run-started', message: 'run r1: core-infrastructure, memory-system' }),
        said({ type: 'phase-status', phase: 'memory-system', message: 'memory-system: not-started -> in-progress' }),
        said({ type: 'step-finished', phase: 'core-infrastructure', step: sa, message: `${sa}: create` }),
        said({ type: 'step-finished', phase: 'core-infrastructure', step: sa, message: `${sa}: update` }),
        said({ type: 'step-finished', phase: 'core-infrastructure', step: sa, message: `${sa}: none` }),
        said({
          type: 'step-finished',
          phase: 'memory-system',
          step: 'memory-system/copy',
          message: 'memory-system/copy: none',
        }),
        said({
          type: 'step-finished',
          phase: 'memory-system',
          step: 'memory-system/copy',
          message: 'memory-system/copy: run',
        }),
        said({
          type: 'step-failed',
          phase: 'memory-system',
          step: 'memory-system/copy',
          message: 'memory-system/copy: target down',
        }),
        said({
          type: 'step-blocked',
          phase: 'memory-system',
          step: 'x/y',
          message: `memory-system/copy blocked by ${sa}`,
        }),
        said({ type: 'phase-status', phase: 'memory-system', message: 'memory-system: in-progress -> failed' }),
        said({ type: 'phase-status', phase: 'hybrid-config', message: 'hybrid-config skipped' }),
        said({ type: 'phase-status', phase: 'core-infrastructure', message: 'core-infrastructure reset' }),
        said({ type: 'phase-stale', phase: 'validation', message: 'validation stale: core-infrastructure was reset' }),
        said({ type: 'run-finished', message: 'run r1 completed' }),
        said({ type: 'cutover', message: `${sa} moved` }),
      ],
      [
        'Run r1 started: Core Infrastructure, Memory System',
        'Memory System started',
        '🟩 Created Runtime service account',
        '🟦 Updated Runtime service account',
        '⬜ Runtime service account: already as desired',
        '⬜ Copy memory records: nothing to do',
        '🟪 Ran Copy memory records',
        '🟥 Copy memory records failed: target down',
        '🟨 Copy memory records not run: it needs Runtime service account, which failed',
        '🟥 Memory System failed',
        'Hybrid Config skipped',
        'Core Infrastructure reset: its steps will run again',
        'Validation may be out of date: Core Infrastructure, which it builds on, was reset',
        'Run r1 completed',
        'Runtime service account moved',
      ],
    );
  });

  it("leaves a step's start out of the table once the step has ended; a step still running keeps it", () => {
    const e = (type: string, step: string) => ({ at: AT.toISOString(), type, step, message: `${step} ${type}` });
    const kept = shownEvents([e('step-started', 'a/b'), e('step-started', 'a/c'), e('step-finished', 'a/b')]);
    assert.deepEqual(
      kept.map((k) => `${k.type} ${k.step}`),
      ['step-started a/c', 'step-finished a/b'],
    );
  });

  it('shows outputs as tables: simple values in one, a structured value field by field, no JSON', () => {
    const state = recorded();
    state.outputs = {
      apiUrl: 'https://orchestra-api-abc-uc.a.run.app',
      note: 'built <b>today</b> | ok',
      memoryCopy: { records: 1200, copyMs: 4200, checksumVerdict: 'match', lastSync: { added: 3, at: null } },
      validationResources: { checked: 26, missing: [], notReady: ['a', 'b'] },
    };
    const html = renderReportBody(migrationReport(state, PHASES, { generatedAt: AT }));
    const outputs = html.split('<h2>Outputs</h2>')[1].split('<h2>')[0];
    const tables = outputs
      .split('</table>')
      .slice(0, -1)
      .map((t) => tableRows(`<h2>T</h2>${t}`, 'T'));
    assert.deepEqual(tables[0], [
      ['Output', 'Value'],
      ['API URL', '<code>https://orchestra-api-abc-uc.a.run.app</code>'],
      ['Note', 'built &lt;b&gt;today&lt;/b&gt; | ok'],
    ]);
    assert.match(outputs, /<h3>Memory copy<\/h3>/);
    assert.deepEqual(tables[1].slice(1), [
      ['Records', '1,200'],
      ['Copy', '4.2 s'],
      ['Checksum verdict', '<code>match</code>'],
      ['Last sync › added', '3'],
      ['Last sync › at', 'none'],
    ]);
    assert.deepEqual(tables[2].slice(1), [
      ['Checked', '26'],
      ['Missing', 'none'],
      ['Not ready', '<code>a</code>, <code>b</code>'],
    ]);
    assert.doesNotMatch(outputs, /\{|<b>/);
  });

  it('the chart has a legend of the outcomes it shows, and its bars take their colours', () => {
    const state = recorded();
    state.steps['core-infrastructure/service-account'] = {
      id: 'core-infrastructure/service-account',
      phase: 'core-infrastructure',
      status: 'done',
      action: 'update',
      startedAt: '2026-11-28T11:00:01.000Z',
      finishedAt: '2026-11-28T11:00:02.000Z',
      attempts: 1,
    };
    const svg = timelineSvg(state, PHASES, [
      { id: 'core-infrastructure/service-account', title: 'Runtime service account', kind: 'resource' },
    ])!;
    assert.match(svg, /fill="#0969da"><title>Runtime service account: updated, 1\.0 s<\/title>/);
    const legend = /<g role="list" aria-label="Legend">([\s\S]*?)<\/g>\n<\/svg>/.exec(svg)?.[1] ?? '';
    assert.deepEqual(
      [...legend.matchAll(/fill="(#\w+)"[^>]*\/>\n<text[^>]*>([^<]+)</g)].map((m) => `${m[2]} ${m[1]}`),
      ['phase #6e7781', 'updated #0969da'],
    );
  });
});
