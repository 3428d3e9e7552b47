/**
 * What an API answers is data: with the emulator's fault injection making Cloud Run answer a
 * `javascript:` URL with markup as the service's `uri`, the step refuses to record or call it
 * (it would become every environment's API endpoint at cutover), and the report shows the
 * refusal's text as text: no element, no handler, no link.
 */
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import type { WorkspaceReport } from '../../../src/core/workspace';
import type { ExecuteResult } from '../../../src/core/migration/executor';
import type { MigrationState } from '../../../src/core/migration/state';
import { openEngine, startWorld, type World } from '../migration/world';
import { renderedReports } from './rendered';

const HOSTILE_URI = 'javascript:alert(1)//<img src=x onerror="window.__pwned=5"><script>window.__pwned=6</script>';

describe('a Cloud Run service URL with markup in it (emulator fault injection)', function () {
  this.timeout(120_000);
  let world: World;
  let result: ExecuteResult;
  let state: MigrationState;
  let page: WorkspaceReport;
  let standalone: WorkspaceReport;

  before(async () => {
    world = await startWorld({ records: 20 });
    world.emulator.setFaults({ runServiceUri: HOSTILE_URI });
    const h = await openEngine(world.config, world.workspace);
    try {
      result = await h.engine.execute();
      state = h.engine.state();
      ({ page, standalone } = await renderedReports(h.workspace));
    } finally {
      await h.close();
    }
  });
  after(async () => world?.close());

  it('the service step fails naming the URL it was given; nothing records or calls it', () => {
    assert.equal(result.status, 'failed');
    const failure = result.failures.find((f) => f.step === 'api-deployment/service');
    assert.ok(failure, JSON.stringify(result.failures));
    assert.ok(failure.error.includes(`Cloud Run answered ${JSON.stringify(HOSTILE_URI)}`), failure.error);
    assert.match(failure.error, /not an https URL, so it is neither recorded nor called/);
    assert.equal(state.outputs.apiUrl, undefined, 'no API URL recorded');
    assert.equal((state.outputs.endpoints as Record<string, unknown> | undefined)?.api, undefined);
    const called = world.emulator.requestLog().filter((r) => r.path.includes('javascript'));
    assert.deepEqual(called, [], 'nothing was sent to it');
  });

  it("the report tab's page and the --html export show the refusal as text", () => {
    for (const [report, where] of [
      [page, 'report tab'],
      [standalone, 'report --html'],
    ] as const) {
      const html = report.html!;
      assert.ok(html.includes('&lt;img src=x onerror='), `${where}: the markup shows as characters`);
      assert.doesNotMatch(html, /<script>window|<img src=x|<a /i, `${where}: an element from the data`);
      assert.doesNotMatch(html, /<[^>]*\son\w+\s*=|href="javascript:/i, `${where}: a handler or a script link`);
    }
  });
});
