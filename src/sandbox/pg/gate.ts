/**
 * The password check PGlite lacks, in front of its socket server. It speaks just
 * the start of the PostgreSQL protocol (v3): declines TLS, takes the startup
 * message, asks for a cleartext password, checks it, then hands the connection,
 * startup message first, to whatever serves the session. Wrong credentials get
 * PostgreSQL's own error (SQLSTATE 28P01), as a real server answers.
 */
import * as net from 'node:net';

export type PasswordCheck = (user: string, password: string) => boolean;

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
/** A startup packet bigger than this is not PostgreSQL (the server's own limit is 10 000). */
const MAX_STARTUP = 10_000;

/** Takes an admitted connection: `first` holds the startup packet (its first `startupLength` bytes) and what followed. */
export type Serve = (client: net.Socket, first: Buffer, startupLength: number) => void;

export interface GateOptions {
  host: string;
  serve: Serve;
  check?: PasswordCheck;
}

export async function passwordGate(options: GateOptions): Promise<net.Server> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    void greet(client, options).catch(() => client.destroy());
  });
  // close() waits for open connections; a stopped emulator must not wait on its clients.
  const close = server.close.bind(server);
  server.close = (callback?: (err?: Error) => void) => {
    for (const socket of sockets) socket.destroy();
    return close(callback);
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host, () => resolve());
  });
  return server;
}

async function greet(client: net.Socket, options: GateOptions): Promise<void> {
  const reader = new Reader(client);
  let startup: Buffer;
  for (;;) {
    const length = (await reader.read(4)).readInt32BE(0);
    if (length < 8 || length > MAX_STARTUP) throw new Error('not a PostgreSQL startup packet');
    const body = await reader.read(length - 4);
    const code = body.readInt32BE(0);
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      client.write('N');
      continue;
    }
    startup = Buffer.concat([int32(length), body]);
    // PGlite runs one statement at a time and cannot cancel it; PostgreSQL closes a cancel connection unanswered.
    if (code === CANCEL_REQUEST) return void client.end();
    break;
  }
  if (options.check) {
    const user = startupParams(startup).user ?? '';
    client.write(Buffer.concat([Buffer.from('R'), int32(8), int32(3)]));
    const type = (await reader.read(1)).toString('latin1');
    const length = (await reader.read(4)).readInt32BE(0);
    if (type !== 'p' || length < 5 || length > MAX_STARTUP) throw new Error('expected a password message');
    const password = (await reader.read(length - 4)).toString('utf8').replace(/\0$/, '');
    if (!options.check(user, password)) {
      client.end(fatal('28P01', `password authentication failed for user "${user}"`));
      return;
    }
  }
  const first = Buffer.concat([startup, reader.rest()]);
  reader.detach();
  options.serve(client, first, startup.length);
}

function startupParams(packet: Buffer): Record<string, string> {
  const parts = packet.subarray(8).toString('utf8').split('\0');
  const params: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length && parts[i]; i += 2) params[parts[i]] = parts[i + 1];
  return params;
}

function fatal(code: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, 'utf8');
  return Buffer.concat([Buffer.from('E'), int32(fields.length + 4), fields]);
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n, 0);
  return b;
}

/** Exact-length reads over a socket's data events, until the connection is handed on. */
class Reader {
  private buffered = Buffer.alloc(0);
  private waiting?: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void };
  private readonly onData = (chunk: Buffer) => {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    this.settle();
  };
  private readonly onEnd = () => this.waiting?.reject(new Error('connection closed during startup'));

  constructor(private readonly socket: net.Socket) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
  }

  read(n: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.waiting = { n, resolve, reject };
      this.settle();
    });
  }

  rest(): Buffer {
    const rest = this.buffered;
    this.buffered = Buffer.alloc(0);
    return rest;
  }

  detach(): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
  }

  private settle(): void {
    if (!this.waiting || this.buffered.length < this.waiting.n) return;
    const { n, resolve } = this.waiting;
    this.waiting = undefined;
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    resolve(out);
  }
}
