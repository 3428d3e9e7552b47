import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createRedactor, redactingLogger, streamLogger } from '../../../src/core/logging';
import type { Logger } from '../../../src/core/logger';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

describe('loggers', () => {
  it('streamLogger writes one redacted line per call at or above its level', () => {
    const out = capture();
    const redactor = createRedactor(['a-secret-token-value-9876']);
    const logger = streamLogger(out.stream, 'info', redactor, { timestamps: false });
    logger.debug('hidden');
    logger.info('calling with a-secret-token-value-9876', { url: 'https://x/?key=abcdefghijklmnop' });
    logger.error('failed', new Error('boom a-secret-token-value-9876'));
    const lines = out.text().trimEnd().split('\n');
    assert.ok(lines.length >= 3, out.text());
    assert.equal(lines[0], '[info] calling with ****9876 {"url":"https://x/?key=****mnop"}');
    assert.match(lines[1], /^\[error\] failed Error: boom \*\*\*\*9876$/);
    assert.match(lines[2], /^\s+at /, 'the stack follows');
    assert.doesNotMatch(out.text(), /a-secret-token/);
  });

  it('redactingLogger masks before the inner logger sees anything, secrets added later included', () => {
    const seen: unknown[][] = [];
    const inner: Logger = {
      trace: (...a) => seen.push(a),
      debug: (...a) => seen.push(a),
      info: (...a) => seen.push(a),
      warn: (...a) => seen.push(a),
      error: (...a) => seen.push(a),
    };
    const redactor = createRedactor();
    const logger = redactingLogger(inner, redactor);
    redactor.addSecret('late-registered-secret-4321');
    logger.warn('Authorization: Bearer late-registered-secret-4321', 'late-registered-secret-4321');
    assert.deepEqual(seen, [['Authorization: Bearer ****4321', '****4321']]);
  });
});
