/**
 * Batch bodies written into reused buffers: the bytes sent are exactly the texts given, in
 * UTF-8, however large the batch; a buffer is reused only once its request succeeded.
 */
import * as assert from 'node:assert/strict';
import { BatchBodies } from '../../../src/core/memory/batch-body';

describe('memory client: batch bodies in reused buffers', () => {
  it('holds the UTF-8 of the texts given, the last characters left out where asked', () => {
    const body = new BatchBodies().start();
    body.text('{"ops":[').text('{"key":"é/😀","content":"\u2028"}', 1).text(',"op":"set"}').text(']}');
    const sent = body.bytes().toString('utf8');
    assert.equal(sent, '{"ops":[{"key":"é/😀","content":"\u2028","op":"set"}]}');
    assert.deepEqual(JSON.parse(sent), { ops: [{ key: 'é/😀', content: '\u2028', op: 'set' }] });
  });

  it('grows past its first buffer without losing what it holds (a batch of large records)', () => {
    const body = new BatchBodies().start();
    const record = `{"key":"k","content":"${'ü'.repeat(100_000)}"}`;
    const texts = Array.from({ length: 8 }, () => record);
    for (const text of texts) body.text(text);
    assert.equal(body.length, Buffer.byteLength(texts.join('')));
    assert.equal(body.bytes().toString('utf8'), texts.join(''));
  });

  it("reuses a released body's buffer for the next body; a body never released is not reused", () => {
    const bodies = new BatchBodies();
    const first = bodies.start().text('first');
    bodies.release(first);
    const second = bodies.start();
    assert.equal(second.storage, first.storage, 'the released buffer is taken again');
    assert.equal(second.length, 0);
    assert.equal(second.text('2').bytes().toString(), '2');
    const third = bodies.start();
    assert.notEqual(third.storage, second.storage, 'a buffer in use is not handed out twice');
  });
});
