/**
 * A real PostgreSQL with pgvector for the AlloyDB emulator: PGlite (PostgreSQL
 * compiled to WASM, with pgvector 0.8) served on loopback over the wire protocol
 * by pglite-socket, so `pg` (or psql) reaches it exactly as it reaches AlloyDB.
 * PGlite itself authenticates nobody, so a small gate in front of it asks for
 * the cluster's password (cleartext over loopback, as AlloyDB's built-in users
 * do over TLS) and only then hands the connection to PGlite.
 */
import * as fs from 'node:fs';
import type * as net from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { passwordGate, type PasswordCheck } from './gate';

/** pglite-socket multiplexes connections over PGlite's one session; pools of a few clients each. */
const MAX_CONNECTIONS = 32;

export interface PgServerOptions {
  /** Folder PGlite keeps its data in; without it, the database lives in memory. */
  dataDir?: string;
  host?: string;
  /** Checks the password a client gives; without it, every password is accepted. */
  checkPassword?: PasswordCheck;
}

export interface PgServer {
  host: string;
  port: number;
  /** PGlite in this process, for the emulator's own reads (tests, the admin route). */
  db: PGlite;
  close(): Promise<void>;
}

/** The heavy WASM modules load on first use: an emulator without AlloyDB never pays for them. */
async function loadPglite() {
  const [{ PGlite }, { vector }, { PGLiteSocketServer }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/vector'),
    import('@electric-sql/pglite-socket'),
  ]);
  return { PGlite, vector, PGLiteSocketServer };
}

export async function startPgServer(options: PgServerOptions = {}): Promise<PgServer> {
  const { PGlite, vector, PGLiteSocketServer } = await loadPglite();
  if (options.dataDir) fs.mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create({ dataDir: options.dataDir, extensions: { vector } });
  const host = options.host ?? '127.0.0.1';
  let inner: PGLiteSocketServer | undefined;
  let gate: net.Server | undefined;
  try {
    inner = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: MAX_CONNECTIONS });
    await inner.start();
    const innerPort = Number(inner.getServerConn().split(':').pop());
    gate = await passwordGate({ host, backendPort: innerPort, check: options.checkPassword });
    const port = (gate.address() as net.AddressInfo).port;
    const closeGate = gate;
    const closeInner = inner;
    return {
      host,
      port,
      db,
      close: async () => {
        await new Promise<void>((resolve) => closeGate.close(() => resolve()));
        await closeInner.stop();
        await db.close();
      },
    };
  } catch (error) {
    gate?.close();
    await inner?.stop().catch(() => undefined);
    await db.close();
    throw error;
  }
}
