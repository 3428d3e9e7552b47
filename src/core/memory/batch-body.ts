/**
 * Request bodies of batch writes, encoded straight into buffers that are reused from one
 * batch to the next.
 *
 * Why: a body given to undici as a string is copied into a new Buffer, and a batch body
 * lives as long as its request, long enough to be promoted out of V8's young generation.
 * Those buffers (and the joined string before them) were then freed only by a full
 * collection, which V8 puts off as the heap grows: a 200k-record copy held the bytes of
 * every batch it had sent (34 MiB of buffers at the end), so the copier's peak memory grew
 * with the store. Reused, the bodies take a few buffers whatever the store's size.
 */

/** Buffers kept for reuse: one per batch in flight is enough. */
const KEPT = 8;
/** A new buffer's size: a batch of 500 typical records fits. */
const INITIAL_BYTES = 256 * 1024;
/** A buffer grown past this (a batch of very large records) is not kept. */
const LARGEST_KEPT = 4 * 1024 * 1024;

/** One body being written: texts appended as UTF-8. */
export class BatchBody {
  length = 0;

  constructor(private buffer: Buffer) {}

  /** Appends `text`, leaving out its last `dropLast` characters (ASCII ones: one byte each). */
  text(text: string, dropLast = 0): this {
    // At most three UTF-8 bytes per UTF-16 code unit.
    this.reserve(text.length * 3);
    this.length += this.buffer.write(text, this.length, 'utf8') - dropLast;
    return this;
  }

  /** The bytes written, a view of the buffer (no copy). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  /** The buffer, for reuse once the request that carried it is over. */
  get storage(): Buffer {
    return this.buffer;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

/** The buffers of one transport's batch bodies. */
export class BatchBodies {
  private readonly free: Buffer[] = [];

  start(): BatchBody {
    return new BatchBody(this.free.pop() ?? Buffer.allocUnsafeSlow(INITIAL_BYTES));
  }

  /**
   * Takes a body's buffer back. Only once the server answered the request with success: it
   * read the whole body then, so no byte of it is still waiting to be sent. A body whose
   * request failed may still be queued on its socket, and is left to the collector.
   */
  release(body: BatchBody): void {
    if (this.free.length < KEPT && body.storage.length <= LARGEST_KEPT) this.free.push(body.storage);
  }
}
