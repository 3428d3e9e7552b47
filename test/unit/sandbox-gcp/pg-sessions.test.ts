/**
 * The AlloyDB emulator's PostgreSQL endpoint: many connections over PGlite's one
 * session. Large messages arrive whole, an open transaction keeps the session to
 * its connection, and a connection that goes away mid-transaction is rolled back.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { startPgServer, type PgServer } from '../../../src/sandbox/pg/server';

const PASSWORD = 'sessions-test-password';

describe('emulator: PostgreSQL connections over one PGlite session', function () {
  this.timeout(60_000);
  let server: PgServer;
  const clients: pg.Client[] = [];

  async function connect(): Promise<pg.Client> {
    const client = new pg.Client({
      host: server.host,
      port: server.port,
      user: 'postgres',
      password: PASSWORD,
      database: 'postgres',
    });
    await client.connect();
    clients.push(client);
    return client;
  }

  before(async () => {
    server = await startPgServer({ checkPassword: (_user, password) => password === PASSWORD });
    const setup = await connect();
    await setup.query('CREATE TABLE notes (id int PRIMARY KEY)');
  });
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.end()));
    const cleanup = await connect();
    await cleanup.query('TRUNCATE notes');
  });
  after(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.end()));
    await server.close();
  });

  it('takes a 4 MB parameter across many socket reads, byte for byte', async () => {
    const client = await connect();
    const blob = randomBytes(4 * 1024 * 1024);
    const { rows } = await client.query<{ n: number; sha: string }>(
      `SELECT length($1::bytea) AS n, encode(sha256($1::bytea), 'hex') AS sha`,
      [blob],
    );
    assert.equal(rows[0].n, blob.length);
    assert.equal(rows[0].sha, createHash('sha256').update(blob).digest('hex'));
  });

  it('holds the session for the connection with an open transaction until it commits', async () => {
    const writer = await connect();
    const reader = await connect();
    await writer.query('BEGIN');
    await writer.query('INSERT INTO notes VALUES (1)');
    let settled = false;
    const counted = reader.query<{ n: string }>('SELECT count(*)::text AS n FROM notes').then((r) => {
      settled = true;
      return r.rows[0].n;
    });
    // A round trip of the writer's: the reader's query has reached the server by then and must still wait.
    await writer.query('INSERT INTO notes VALUES (2)');
    assert.equal(settled, false, "the other connection's query ran inside the open transaction");
    await writer.query('COMMIT');
    assert.equal(await counted, '2');
  });

  it('rolls back the transaction of a connection that goes away, and serves the others', async () => {
    const quitter = await connect();
    const other = await connect();
    await quitter.query('BEGIN');
    await quitter.query('INSERT INTO notes VALUES (3)');
    const waiting = other.query<{ n: string }>('SELECT count(*)::text AS n FROM notes');
    clients.splice(clients.indexOf(quitter), 1);
    await quitter.end();
    assert.equal((await waiting).rows[0].n, '0');
  });
});
