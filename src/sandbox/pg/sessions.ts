/**
 * Many client connections over PGlite's one PostgreSQL session, as pglite-socket
 * serves them: protocol messages run one connection's batch at a time, in arrival
 * order, except that while a transaction is open only the connection that opened it
 * runs (the others wait for its COMMIT or ROLLBACK, or its disconnect, which rolls
 * back).
 *
 * Why not pglite-socket's own handler: it re-joined its whole pending buffer on every
 * 64 KB socket read, so a 1.5 MB Bind (a page of 768-dimension vectors) was copied
 * some 24 times over and left as garbage: a third of the vector copy's time in the
 * rehearsal database went there. Here the chunks of a message are joined once, when
 * it is complete, and the messages of one read run together, so another connection's
 * Parse cannot land between this one's Bind and Execute on the shared session.
 */
import type * as net from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

/** Typed protocol messages (the startup packet has gone through the gate already), whole. */
export class MessageSplitter {
  private chunks: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.size < 5) break;
      const length = 1 + this.peekHeader().readInt32BE(1);
      if (this.size < length) break;
      out.push(this.take(length));
    }
    return out;
  }

  private peekHeader(): Buffer {
    if (this.chunks[0].length < 5) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0];
  }

  private take(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0];
    const message = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.size -= n;
    return message;
  }
}

interface Job {
  owner: object;
  messages: Buffer[];
  resolve: (reply: Buffer) => void;
  reject: (error: unknown) => void;
}

/** The one session's turn-taking between connections. */
export class SessionQueue {
  private jobs: Job[] = [];
  private running = false;
  /** The connection whose message ran last: while a transaction is open, it owns the session. */
  private owner?: object;
  private readonly closed = new WeakSet<object>();

  constructor(private readonly db: PGlite) {}

  run(owner: object, messages: Buffer[]): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.jobs.push({ owner, messages, resolve, reject });
      void this.pump();
    });
  }

  /** A connection went away: its waiting messages are dropped, its open transaction rolled back. */
  release(owner: object): Promise<void> {
    this.closed.add(owner);
    const dropped = this.jobs.filter((j) => j.owner === owner);
    this.jobs = this.jobs.filter((j) => j.owner !== owner);
    for (const job of dropped) job.reject(new Error('connection closed'));
    return this.pump();
  }

  /** Run between jobs, so a transaction whose connection closed mid-statement is rolled back too. */
  private async rollbackOrphan(): Promise<void> {
    if (!this.owner || !this.closed.has(this.owner)) return;
    this.owner = undefined;
    if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
  }

  private next(): Job | undefined {
    if (this.owner && this.db.isInTransaction()) {
      const i = this.jobs.findIndex((j) => j.owner === this.owner);
      return i < 0 ? undefined : this.jobs.splice(i, 1)[0];
    }
    return this.jobs.shift();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        await this.rollbackOrphan();
        const job = this.next();
        if (!job) break;
        await this.runJob(job);
      }
    } catch (error) {
      // The shared session could not be rolled back (the database is closing): nothing waiting can run.
      for (const job of this.jobs.splice(0)) job.reject(error);
    } finally {
      this.running = false;
    }
  }

  private async runJob(job: Job): Promise<void> {
    try {
      const replies = await this.db.runExclusive(async () => {
        const out: Uint8Array[] = [];
        for (const message of job.messages) out.push(await this.db.execProtocolRaw(message));
        return out;
      });
      this.owner = job.owner;
      job.resolve(Buffer.concat(replies));
    } catch (error) {
      job.reject(error);
    }
  }
}

/**
 * Serves one authenticated connection: `first` is the startup packet (replayed to
 * PGlite, which answers with its parameters and ReadyForQuery) and any bytes that
 * followed it. A failure inside PGlite closes the connection, as a crashed backend's
 * would; Terminate closes it without troubling the shared session.
 */
export function serveConnection(client: net.Socket, first: Buffer, startupLength: number, queue: SessionQueue): void {
  // Replies are small and the client waits on each: Nagle's wait for an ACK would stall every round trip.
  client.setNoDelay(true);
  const splitter = new MessageSplitter();
  let chain: Promise<void> = Promise.resolve();
  const deliver = (messages: Buffer[]) => {
    const terminate = messages.findIndex((m) => m[0] === 0x58); // 'X'
    const batch = terminate < 0 ? messages : messages.slice(0, terminate);
    chain = chain.then(async () => {
      if (batch.length && !client.destroyed) {
        const reply = await queue.run(client, batch);
        if (reply.length && client.writable) client.write(reply);
      }
      if (terminate >= 0) client.end();
    });
    chain.catch(() => client.destroy());
  };
  client.on('close', () => void queue.release(client));
  deliver([first.subarray(0, startupLength)]);
  const rest = first.subarray(startupLength);
  if (rest.length) deliver(splitter.push(rest));
  client.on('data', (chunk: Buffer) => {
    const messages = splitter.push(chunk);
    if (messages.length) deliver(messages);
  });
}
