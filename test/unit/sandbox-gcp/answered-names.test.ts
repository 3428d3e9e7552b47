/**
 * The `answeredNames` fault: the emulator answers a name Google would never give (markup, a
 * `javascript:` URL), in the answer only, as a hostile endpoint or a man in the middle would.
 */
import * as assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'mocha';
import type { GcpEmulator } from '../../../src/sandbox/gcp';
import { caller, withEmulator } from './helpers';

const HOSTILE = '<img src=x onerror=alert(1)>';
const base = '/v1/projects/names-p/secrets';

describe('emulator: answeredNames fault', () => {
  let emu: GcpEmulator;
  const call = caller(() => emu);
  before(async () => (emu = await withEmulator({ projects: ['names-p'] })));
  after(() => emu.close());
  beforeEach(async () => {
    emu.reset();
    await call('POST', '/v1/projects/names-p/services:batchEnable', { serviceIds: ['secretmanager.googleapis.com'] });
    await call('POST', `${base}?secretId=cfg`, { replication: { automatic: {} } });
  });

  const addVersion = () => call('POST', `${base}/cfg:addVersion`, { payload: { data: 'eA==' } });

  it('rewrites the named field of matching answers, `count` times; the stored resource keeps its name', async () => {
    emu.setFaults({
      answeredNames: [{ method: 'POST', pathContains: ':addVersion', field: 'name', value: HOSTILE, count: 1 }],
    });
    const first = await addVersion();
    assert.equal(first.status, 200);
    assert.equal(first.json.name, HOSTILE);
    assert.equal(first.json.state, 'ENABLED', 'the rest of the answer is as Google gives it');
    const stored = await call('GET', `${base}/cfg/versions/1`);
    assert.match(String(stored.json.name), /^projects\/\d+\/secrets\/cfg\/versions\/1$/, 'a GET is not rewritten');
    const second = await addVersion();
    assert.match(String(second.json.name), /\/versions\/2$/, 'the count ran out');
  });

  it('nested fields by dotted path; a field the answer lacks is not added', async () => {
    emu.setFaults({
      answeredNames: [
        { pathContains: '/versions', field: 'versions.0.name', value: 'javascript:alert(1)' },
        { pathContains: '/versions', field: 'nextPageToken', value: HOSTILE },
      ],
    });
    await addVersion();
    const list = await call('GET', `${base}/cfg/versions`);
    const versions = list.json.versions as { name: string }[];
    assert.equal(versions[0].name, 'javascript:alert(1)');
    assert.equal('nextPageToken' in list.json, false);
  });

  it('POST /__admin/faults refuses a malformed entry with 400 naming it, and keeps the faults it had', async () => {
    const answer = await fetch(`${emu.url}/__admin/faults`, {
      method: 'POST',
      body: JSON.stringify({ answeredNames: [{ field: 'name' }] }),
    });
    assert.equal(answer.status, 400);
    assert.match(await answer.text(), /answeredNames\[0\]\.value is undefined/);
    assert.equal(emu.faults().answeredNames?.length ?? 0, 0);
    const ok = await fetch(`${emu.url}/__admin/faults`, {
      method: 'POST',
      body: JSON.stringify({ answeredNames: [{ field: 'name', value: HOSTILE, pathContains: ':addVersion' }] }),
    });
    assert.equal(ok.status, 200);
    assert.equal((await addVersion()).json.name, HOSTILE);
  });
});
