/**
 * Metric names are data: the target memory server names its own status figures, and
 * Validation records them as `memory_target_<name>`. With the emulator's fault injection
 * making a server report figures named with markup, a real run carries those names into
 * the state, and the report (the editor's tab and `report --html`, both markdown-it) shows
 * them as the characters they are: no element, no handler, no link.
 */
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import type { WorkspaceReport } from '../../../src/core/workspace';
import { openEngine, startWorld, type World } from '../migration/world';
import { renderedReports } from './rendered';

const HOSTILE_STATS: Record<string, number> = {
  '<script>alert(1)</script>': 1,
  '<img src=x onerror=alert(2)>': 2,
  '[click](javascript:alert(3))': 3,
  'a|b`c': 4,
};

/** Rows of the Metrics table as cell texts (decoded enough to compare: the entities markdown-it writes). */
function metricRows(html: string): string[][] {
  const section = html.split('<h2>Metrics</h2>')[1].split('<h2>')[0];
  return [...section.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1].matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map((cell) => cell[1]),
  );
}

function assertInert(html: string, where: string): void {
  assert.doesNotMatch(html, /<script|<img|<a /i, `${where}: an element from the data`);
  assert.doesNotMatch(html, /<[^>]*\son\w+\s*=|href="javascript:/i, `${where}: a handler or a script link`);
}

describe('metric names from a server, with markup in them (emulator fault injection)', function () {
  this.timeout(120_000);
  let world: World;
  let page: WorkspaceReport;
  let standalone: WorkspaceReport;
  let custom: Record<string, number>;

  before(async () => {
    world = await startWorld({ records: 20 });
    world.target.setFaults({ extraStats: HOSTILE_STATS });
    const h = await openEngine(world.config, world.workspace);
    try {
      const result = await h.engine.execute();
      assert.equal(result.status, 'completed', JSON.stringify(result.failures));
      custom = h.engine.state().phases.validation.metrics.custom;
      ({ page, standalone } = await renderedReports(h.workspace));
    } finally {
      await h.close();
    }
  });
  after(async () => world?.close());

  it('reach the state as the server spelled them', () => {
    for (const [name, value] of Object.entries(HOSTILE_STATS)) assert.equal(custom[`memory_target_${name}`], value);
    assert.ok(custom.memory_target_requests > 0, "the server's own figure is there too");
  });

  it("show as text in the report tab's page and in the --html export, each in its own row", () => {
    for (const [report, where] of [
      [page, 'report tab'],
      [standalone, 'report --html'],
    ] as const) {
      const html = report.html!;
      assertInert(html, where);
      const rows = metricRows(html).filter((r) => r[1]?.includes('memory_target_'));
      assert.deepEqual(
        rows.map((r) => r.length),
        rows.map(() => 3),
        `${where}: a | in a name did not split its row`,
      );
      const names = rows.map((r) => r[1]);
      for (const shown of [
        '<code>memory_target_&lt;script&gt;alert(1)&lt;/script&gt;</code>',
        '<code>memory_target_&lt;img src=x onerror=alert(2)&gt;</code>',
        '<code>memory_target_[click](javascript:alert(3))</code>',
        '<code>memory_target_a|b`c</code>',
      ])
        assert.ok(names.includes(shown), `${where}: ${shown} in ${names.join(', ')}`);
    }
  });

  it('and the Markdown export keeps them inside code spans, as spelled', () => {
    assert.match(page.markdown, /\| Validation \| `memory_target_<script>alert\(1\)<\/script>` \| 1 \|/);
    // The backtick stays: the span's fence is longer than the run inside it.
    assert.ok(page.markdown.includes('| Validation | ``memory_target_a\\|b`c`` | 4 |'), page.markdown);
  });

  it('a stat that is not a number is refused by the fault injection, naming the field', async () => {
    const answer = await fetch(`${world.target.url}/__admin/faults`, {
      method: 'POST',
      body: JSON.stringify({ extraStats: { '<b>': 'x' } }),
    });
    assert.equal(answer.status, 400);
    assert.match(await answer.text(), /extraStats must be a JSON object of finite numbers/);
  });
});
