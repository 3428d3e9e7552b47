/**
 * Acceptance: a planted API key appears in no log line, error message or stack,
 * through succeeding and failing calls with debug logging, even when a server
 * echoes the Authorization header back in its error bodies.
 */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { createMemoryClient } from '../../../src/core/memory';
import { createRedactor, streamLogger } from '../../../src/core/logging';
import { errorMessage, OrchestraError } from '../../../src/core/errors';
import { BreakerRegistry } from '../../../src/core/resilience';
import { startMemoryServer } from '../../../src/sandbox/memory';
import { memoryConfig, tempDir } from './helpers';

const KEY = 'sk-orch-PLANTED-7c1e9a4b2d3f5e60';

describe('API keys never reach logs or errors', function () {
  this.timeout(30_000);
  let temp: Awaited<ReturnType<typeof tempDir>>;
  before(async () => (temp = await tempDir('secrets')));
  after(async () => temp.cleanup());

  it('masks the key in every line and error of succeeding and failing calls', async () => {
    const sink = new PassThrough();
    let logText = '';
    sink.on('data', (chunk: Buffer) => (logText += chunk.toString()));
    const redactor = createRedactor();
    const logger = streamLogger(sink, 'trace', redactor);
    const errors: unknown[] = [];
    const capture = async (run: () => Promise<unknown>) => {
      try {
        await run();
      } catch (error) {
        errors.push(error);
        logger.error('call failed', error);
      }
    };

    // A server that leaks the Authorization header into its error bodies (503 then 400).
    let leakStatus = 503;
    const leaky = http.createServer((req, res) => {
      res.writeHead(leakStatus, { 'content-type': 'application/json' });
      const auth = req.headers.authorization ?? '';
      res.end(
        JSON.stringify({
          error: {
            message: `rejected request with Authorization: ${auth} (the key was ${auth.replace(/^Bearer /, '')})`,
          },
        }),
      );
    });
    await new Promise<void>((resolve) => leaky.listen(0, '127.0.0.1', resolve));
    const leakyUrl = `http://127.0.0.1:${(leaky.address() as AddressInfo).port}`;

    const server = await startMemoryServer({ dataDir: path.join(temp.dir, 'data'), apiKey: KEY });
    const good = await createMemoryClient({
      config: memoryConfig({ endpoint: server.url }),
      apiKey: KEY,
      logger,
      redactor,
      outboxDir: path.join(temp.dir, 'outbox-good'),
      breaker: { failureThreshold: 3, retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 2 } },
    });
    // A registry shared with the UI, made without knowing the key: the client must teach it.
    const shared = new BreakerRegistry();
    const bad = await createMemoryClient({
      config: memoryConfig({ endpoint: leakyUrl }),
      apiKey: KEY,
      registry: shared,
      logger,
      redactor,
      outboxDir: path.join(temp.dir, 'outbox-bad'),
      breaker: { failureThreshold: 50, retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 2 } },
    });
    try {
      // Succeeding calls.
      await capture(() => good.set('s/1', { ok: true }));
      await capture(() => good.get('s/1'));
      await capture(() => good.list('s/'));
      await capture(() => good.health());
      // Failing: retried 503s (debug lines carry the error text), then 400s thrown to the caller.
      await capture(() => bad.get('s/1'));
      leakStatus = 400;
      await capture(() => bad.get('s/1'));
      await capture(() => bad.list('s/'));
      const health = await bad.health();
      logger.debug('health', health);
      const snapshot = JSON.stringify(shared.snapshot());
      assert.match(snapshot, /the key was \*\*\*\*5e60/);
      logger.debug('breakers', snapshot);
      // Failing: the good server goes away (connection refused, breaker opens, unavailable).
      await server.close();
      for (let i = 0; i < 4; i++) await capture(() => good.get(`s/missing-${i}`));
      // The engine logging a request it is about to make, headers and URL included.
      logger.debug(`GET ${server.url}/api/memory?key=${KEY}`, { headers: { authorization: `Bearer ${KEY}` } });
      logger.trace('dump', new Error(`boom with x-api-key: ${KEY}`));
    } finally {
      await good.close();
      await bad.close();
      await new Promise((resolve) => leaky.close(resolve));
    }

    assert.ok(errors.length >= 7, `expected failing calls, got ${errors.length}`);
    assert.ok(logText.split('\n').length > 10, 'debug logging produced lines');
    assert.match(logText, /retrying in/, 'retries were logged at debug');
    assert.match(logText, /Authorization: Bearer \*\*\*\*5e60/, 'the leaked header shows masked');
    assert.doesNotMatch(logText, new RegExp(KEY));
    assert.doesNotMatch(logText, /PLANTED/);
    for (const error of errors) {
      for (let e: unknown = error; e; e = (e as Error).cause) {
        const text = [
          (e as Error).message,
          (e as Error).stack,
          e instanceof OrchestraError ? e.describe() : '',
          errorMessage(e),
        ].join('\n');
        assert.doesNotMatch(text, /PLANTED/, `a secret in: ${text.slice(0, 300)}`);
      }
    }
  });

  it('masks known secrets, bearer tokens, authorization headers and key= values as **** + last 4', () => {
    const redactor = createRedactor(['my-known-secret-value-1234']);
    assert.equal(redactor.redact('x my-known-secret-value-1234 y'), 'x ****1234 y');
    assert.equal(redactor.redact('Authorization: Bearer abcdefghijklmnop'), 'Authorization: Bearer ****mnop');
    assert.equal(
      redactor.redact('{"authorization":"Basic QWxhZGRpbjpvcGVuU2VzYW1l"}'),
      '{"authorization":"Basic ****YW1l"}',
    );
    assert.equal(redactor.redact('GET /x?a=1&key=AIzaSyD-abcdefghijkl&b=2'), 'GET /x?a=1&key=****ijkl&b=2');
    assert.equal(redactor.redact('token=short'), 'token=****');
    assert.equal(redactor.redact('nothing to hide'), 'nothing to hide');
    const error = new Error('failed with Bearer abcdefghijklmnop', { cause: new Error('my-known-secret-value-1234') });
    redactor.redactError(error);
    assert.doesNotMatch(error.message + error.stack + (error.cause as Error).message, /abcdefghijklmnop|known-secret/);
  });
});
