import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { isPidAlive } from '../../../src/core/util/pid';

describe('util/pid: isPidAlive', () => {
  it('this process is alive', () => {
    assert.equal(isPidAlive(process.pid), true);
  });

  it('a process that has exited is not', () => {
    const child = spawnSync(process.execPath, ['-e', '0']);
    assert.equal(child.status, 0);
    assert.ok(child.pid > 0);
    assert.equal(isPidAlive(child.pid), false);
  });

  it('pid 1 exists even where we may not signal it (EPERM counts as alive)', () => {
    assert.equal(isPidAlive(1), true);
  });

  it('what is not a process id is never alive (0 and negatives name process groups)', () => {
    for (const pid of [0, -1, Number.NaN, 1.5]) assert.equal(isPidAlive(pid), false, String(pid));
  });
});
