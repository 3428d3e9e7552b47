/**
 * The connection to the vector store (AlloyDB for PostgreSQL with pgvector, or the
 * emulator's PGlite): one small `pg` pool per endpoint and user, shared by the
 * schema step, the copy, search and validation. Pools let the process exit when
 * idle, so a finished CLI run never hangs on an open socket.
 */
import type { Pool, QueryResultRow } from 'pg';

export interface PgEndpoint {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

export interface VectorStore extends Queryable {
  /** host:port/database, for messages (never the password). */
  readonly where: string;
  /** One connection for statements that must share a session (COPY, SET). */
  withClient<T>(fn: (client: Queryable & { raw: unknown }) => Promise<T>): Promise<T>;
}

const pools = new Map<string, Promise<Pool>>();

async function poolFor(endpoint: PgEndpoint): Promise<Pool> {
  const key = `${endpoint.user}@${endpoint.host}:${endpoint.port}/${endpoint.database}`;
  let pool = pools.get(key);
  if (!pool) {
    // pg is loaded on first use: most commands never touch the vector store.
    pool = import('pg').then(({ default: pg }) => {
      const created = new pg.Pool({
        ...endpoint,
        max: 4,
        idleTimeoutMillis: 10_000,
        allowExitOnIdle: true,
        // Generous: an embedded database (the emulator) may hold its event loop while it loads an extension.
        connectionTimeoutMillis: 60_000,
      });
      // An idle client's error (server gone) must not crash the process; the next query reports it.
      created.on('error', () => undefined);
      return created;
    });
    pools.set(key, pool);
  }
  return pool;
}

export function openVectorStore(endpoint: PgEndpoint): VectorStore {
  const where = `${endpoint.host}:${endpoint.port}/${endpoint.database}`;
  return {
    where,
    async query<R extends QueryResultRow>(text: string, values?: unknown[]) {
      const pool = await poolFor(endpoint);
      return pool.query<R>(text, values);
    },
    async withClient(fn) {
      const pool = await poolFor(endpoint);
      const client = await pool.connect();
      try {
        return await fn({ query: (text, values) => client.query(text, values), raw: client });
      } finally {
        client.release();
      }
    },
  };
}

/** Closes every pool (tests, and long-lived hosts on shutdown). */
export async function closeVectorStores(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.allSettled(all.map(async (p) => (await p).end()));
}
