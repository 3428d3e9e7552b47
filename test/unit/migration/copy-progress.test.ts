import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import type { Logger } from '../../../src/core/logger';
import type { EngineEvent } from '../../../src/core/migration/events';
import { migrationReport } from '../../../src/core/report/markdown';
import { openEngine, startWorld, type World } from './world';

const RECORDS = 3000;

function capture(lines: string[]): Logger {
  const at = (level: string) => (message: string) => void lines.push(`[${level}] ${message}`);
  return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('the memory copy shows its work', function () {
  this.timeout(120_000);
  let world: World;
  before(async () => {
    world = await startWorld({ records: RECORDS });
  });
  after(async () => world?.close());

  it('progress events, log lines and the report give records copied / total, the rate and the checksum verdict', async () => {
    const config = structuredClone(world.config);
    config.phases.memorySystem.batchSize = 500;
    const lines: string[] = [];
    const h = await openEngine(config, path.join(world.dir, 'ws-progress'), { logger: capture(lines) });
    const progress: Extract<EngineEvent, { type: 'step-progress' }>[] = [];
    h.engine.events.on((e) => {
      if (e.type === 'step-progress' && e.step === 'memory-system/copy') progress.push(e);
    });
    try {
      const result = await h.engine.execute(['core-infrastructure', 'memory-system']);
      assert.equal(result.status, 'completed', JSON.stringify(result.failures));
      assert.ok(progress.length >= RECORDS / 500, `a progress event per page (${progress.length})`);
      const first = progress[0];
      assert.equal(first.total, RECORDS, 'the total is the source server’s record count from the start');
      assert.match(first.message ?? '', /^500 \/ 3,000 records copied, [\d,]+ records\/s$/);
      const last = progress[progress.length - 1];
      assert.equal(last.done, RECORDS);
      assert.match(last.message ?? '', /^checksums match: 3,000 records, sha256 [0-9a-f]{12}…$/);
      const log = lines.join('\n');
      assert.match(
        log,
        /\[info\] memory copy: 3,000 records copied \(3,000 in this run, \d+\.\d s, [\d,]+ records\/s\)/,
      );
      assert.match(log, /\[info\] memory copy: checksums match: 3,000 records/);
      assert.match(log, /\[info\] memory copy: [\d,]+ \/ 3,000 records copied/, 'progress in the log along the way');
      const report = migrationReport(h.engine.state(), h.workspace.phases());
      assert.match(report, /## Memory copy/);
      assert.match(report, /Last run: 3,000 records in [\d.]+ m?s \([\d,]+ records\/s\)/);
      assert.match(report, /✅ source and target checksums match, sha256 `[0-9a-f]{64}`/);
    } finally {
      await h.close();
    }
  });
});
