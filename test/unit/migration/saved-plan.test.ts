import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import { savedPlan } from '../../../src/core/migration/saved-plan';
import { isInputError } from '../../../src/core/errors';
import { MUTATING, migratedWorld, openEngine, PROJECT, READ_ONLY_POST, testGcpClient, type World } from './world';

/** Execute of a reviewed plan, on the engine: the check before each step, field by field. */
describe('a saved plan executed as reviewed (engine)', function () {
  this.timeout(120_000);
  let world: World;

  before(async () => {
    world = await migratedWorld({ records: 10 });
  });
  after(async () => world?.close());

  it('a service whose image changed after the plan stops the run before its step, naming the field and the value it has now', async () => {
    const h = await openEngine(world.config, world.workspace);
    try {
      const plan = savedPlan(await h.engine.verify(['api-deployment']));
      const service = `/v2/projects/${PROJECT}/locations/us-central1/services/orchestra-api`;
      const gcp = testGcpClient(world.config);
      const other = `us-central1-docker.pkg.dev/${PROJECT}/orchestra/orchestra-api:manual`;
      await fetch(`${world.emulator.url}/__admin/images`, { method: 'POST', body: JSON.stringify({ uri: other }) });
      const live = await gcp.request<{ template: { containers: { image: string }[] } }>({
        api: 'run',
        method: 'GET',
        path: service,
      });
      const planned = live.template.containers[0].image;
      await gcp.request({
        api: 'run',
        method: 'PATCH',
        path: service,
        body: {
          ...live,
          template: { ...live.template, containers: [{ ...live.template.containers[0], image: other }] },
        },
      });
      world.emulator.clearRequestLog();
      const error = await h.engine.execute(undefined, { plan }).then(
        () => assert.fail('a stale plan ran'),
        (e: unknown) => e,
      );
      assert.ok(isInputError(error), String(error));
      assert.match(
        (error as Error).message,
        new RegExp(
          `^The plan is stale: Cloud Run service .*orchestra-api changed: template\\.containers\\[0\\]\\.image is now "${other.replace(/[.]/g, '\\.')}" \\(the plan had it as desired\\) since the plan was made \\(${plan.createdAt.replace(/[.]/g, '\\.')}\\)\\. The steps before it ran as planned; nothing after it was changed\\.$`,
        ),
      );
      assert.ok(planned !== other);
      const writes = world.emulator
        .requestLog()
        .filter(MUTATING)
        .filter((r) => !READ_ONLY_POST.test(r.path));
      assert.deepEqual(
        writes.filter((r) => r.path.includes('services/orchestra-api')),
        [],
        'the service was not touched',
      );
      assert.equal(h.engine.state().run?.status, 'cancelled');
    } finally {
      await h.close();
    }
  });
});
