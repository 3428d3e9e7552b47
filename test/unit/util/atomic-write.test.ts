import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic, writeFileAtomicSync } from '../../../src/core/util/atomic-write';

const variants = [
  { name: 'writeFileAtomic', write: writeFileAtomic },
  {
    name: 'writeFileAtomicSync',
    write: async (...args: Parameters<typeof writeFileAtomicSync>) => writeFileAtomicSync(...args),
  },
];

for (const { name, write } of variants) {
  describe(`util/atomic-write: ${name}`, () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'orchestra-atomic-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('replaces a file whole and leaves no temp file beside it', async () => {
      const file = path.join(dir, 'state.json');
      writeFileSync(file, '{"old":true}');
      await write(file, '{"new":true}\n');
      assert.equal(readFileSync(file, 'utf8'), '{"new":true}\n');
      assert.deepEqual(readdirSync(dir), ['state.json']);
    });

    it('creates a private file with the mode asked for', async () => {
      const file = path.join(dir, 'credentials.json');
      await write(file, '{}', { mode: 0o600 });
      assert.equal(statSync(file).mode & 0o777, 0o600);
    });

    it('writes without fsync when not durable, still whole', async () => {
      const file = path.join(dir, 'sandbox.json');
      await write(file, 'x'.repeat(100_000), { durable: false });
      assert.equal(readFileSync(file, 'utf8').length, 100_000);
      assert.deepEqual(readdirSync(dir), ['sandbox.json']);
    });

    it('a failed rename keeps what was there and cleans up its temp file', async () => {
      const target = path.join(dir, 'taken');
      mkdirSync(path.join(target, 'inside'), { recursive: true });
      await assert.rejects(write(target, 'data'), (error: NodeJS.ErrnoException) => {
        assert.ok(['EISDIR', 'ENOTEMPTY', 'EEXIST', 'EPERM'].includes(error.code ?? ''), error.code);
        return true;
      });
      assert.deepEqual(readdirSync(dir), ['taken']);
      assert.deepEqual(readdirSync(target), ['inside']);
    });

    it('a missing folder is an error naming the path, not a silent success', async () => {
      const file = path.join(dir, 'no-such-folder', 'state.json');
      await assert.rejects(write(file, 'data'), (error: NodeJS.ErrnoException) => {
        assert.equal(error.code, 'ENOENT');
        assert.match(error.message, /no-such-folder/);
        return true;
      });
    });
  });
}
