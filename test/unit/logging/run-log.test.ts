import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { createRedactor, LATEST_LOG, openRunLog } from '../../../src/core/logging';

const SECRET = 'planted-secret-key-5f1c9a7e33';

describe('run log files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchestra-logs-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('writes one redacted file per run and the same lines to latest.log, at the level asked', async () => {
    const logs = path.join(dir, 'levels');
    const redactor = createRedactor([SECRET]);
    const run = await openRunLog({ dir: logs, level: 'info', name: 'execute', redactor });
    run.logger.debug('a debug line that info leaves out');
    run.logger.info(`calling with key ${SECRET}`);
    run.logger.warn('GET https://example.com/v1/x?key=AIzaSyUnregisteredButKeyShaped123');
    await run.close();
    const text = await readFile(run.file, 'utf8');
    assert.equal(await readFile(path.join(logs, LATEST_LOG), 'utf8'), text);
    assert.match(path.basename(run.file), /^run-\d{4}-\d\d-\d\dT[\d-]+Z-execute-\d+\.log$/);
    assert.match(text, /\[info\] calling with key \*\*\*\*7e33/);
    assert.ok(!text.includes(SECRET), 'the planted secret is masked');
    assert.ok(!text.includes('AIzaSyUnregisteredButKeyShaped123'), 'a key-shaped query value is masked');
    assert.ok(!text.includes('a debug line'), 'below the level: not written');
    if (process.platform !== 'win32') assert.equal((await stat(run.file)).mode & 0o777, 0o600);

    const verbose = await openRunLog({ dir: logs, level: 'trace', name: 'verify' });
    verbose.logger.trace('every request, at trace');
    await verbose.close();
    assert.match(await readFile(verbose.file, 'utf8'), /\[trace\] every request, at trace/);
    assert.match(await readFile(path.join(logs, LATEST_LOG), 'utf8'), /every request, at trace/);
  });

  it('keeps the newest run files and deletes older ones, leaving other files alone', async () => {
    const logs = path.join(dir, 'prune');
    const keep = 3;
    let t = Date.parse('2026-12-01T00:00:00Z');
    const files: string[] = [];
    await openRunLog({ dir: logs, level: 'info', name: 'first', now: () => new Date(t) }).then((r) => r.close());
    await writeFile(path.join(logs, 'notes.txt'), 'mine');
    for (let i = 0; i < 5; i++) {
      const run = await openRunLog({
        dir: logs,
        level: 'info',
        name: `run${i}`,
        keep,
        now: () => new Date((t += 1000)),
      });
      files.push(path.basename(run.file));
      await run.close();
    }
    const left = (await readdir(logs)).sort();
    assert.deepEqual(left, [LATEST_LOG, 'notes.txt', ...files.slice(-keep)].sort());
  });
});
