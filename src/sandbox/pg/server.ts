/**
 * A real PostgreSQL with pgvector for the AlloyDB emulator: PGlite (PostgreSQL
 * compiled to WASM, with pgvector 0.8) served on loopback over the wire protocol
 * (connections taking turns on its one session, see sessions.ts), so `pg` (or
 * psql) reaches it exactly as it reaches AlloyDB.
 * PGlite itself authenticates nobody, so a small gate in front of it asks for
 * the cluster's password (cleartext over loopback, as AlloyDB's built-in users
 * do over TLS) and only then hands the connection to PGlite.
 */
import * as fs from 'node:fs';
import type * as net from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { passwordGate, type PasswordCheck } from './gate';
import { serveConnection, SessionQueue } from './sessions';

/** Connections share PGlite's one session; pools of a few clients each. */
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
  const [{ PGlite }, { vector }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/vector'),
  ]);
  return { PGlite, vector };
}

export async function startPgServer(options: PgServerOptions = {}): Promise<PgServer> {
  const { PGlite, vector } = await loadPglite();
  if (options.dataDir) fs.mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create({ dataDir: options.dataDir, extensions: { vector } });
  const host = options.host ?? '127.0.0.1';
  const queue = new SessionQueue(db);
  try {
    const gate = await passwordGate({
      host,
      check: options.checkPassword,
      serve: (client, first, startupLength) => serveConnection(client, first, startupLength, queue),
    });
    gate.maxConnections = MAX_CONNECTIONS;
    const port = (gate.address() as net.AddressInfo).port;
    return {
      host,
      port,
      db,
      close: async () => {
        await new Promise<void>((resolve) => gate.close(() => resolve()));
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
