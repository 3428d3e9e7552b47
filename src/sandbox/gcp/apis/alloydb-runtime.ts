/**
 * The databases behind emulated AlloyDB clusters. AlloyDB keeps a cluster's data
 * in one storage layer its instances share, so here one PGlite serves a cluster:
 * started when its primary instance is created, restarted on demand after the
 * emulator restarts (its data folder survives), removed with the cluster.
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startPgServer, type PgServer } from '../../pg/server';
import type { EmuContext } from '../router';
import type { Store } from '../store';

const running = new WeakMap<Store, Map<string, Promise<PgServer>>>();

function byCluster(store: Store): Map<string, Promise<PgServer>> {
  let map = running.get(store);
  if (!map) running.set(store, (map = new Map()));
  return map;
}

/** A salted scrypt hash: the emulator's state file never holds the password itself. */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('base64')}$${scryptSync(password, salt, 32).toString('base64')}`;
}

export function passwordMatches(stored: string, given: string): boolean {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = scryptSync(given, Buffer.from(salt, 'base64'), expected.length);
  return timingSafeEqual(expected, actual);
}

function dataDirOf(ctx: EmuContext, clusterUid: string): string | undefined {
  return ctx.dataDir ? path.join(ctx.dataDir, 'alloydb', clusterUid) : undefined;
}

/** The cluster's database server, started once however many callers ask at once. */
export function clusterDatabase(ctx: EmuContext, clusterName: string): Promise<PgServer> {
  const map = byCluster(ctx.store);
  const existing = map.get(clusterName);
  if (existing) return existing;
  const cluster = ctx.store.get(clusterName);
  if (!cluster) return Promise.reject(new Error(`cluster ${clusterName} does not exist`));
  const starting = startPgServer({
    dataDir: dataDirOf(ctx, String(cluster.body.uid)),
    host: '127.0.0.1',
    checkPassword: (user, password) => {
      const current = ctx.store.get(clusterName)?.body;
      const users = (current?.emulatorUsers ?? {}) as Record<string, string>;
      return users[user] !== undefined && passwordMatches(users[user], password);
    },
  });
  map.set(clusterName, starting);
  starting.catch(() => map.delete(clusterName));
  return starting;
}

export async function stopClusterDatabase(store: Store, clusterName: string): Promise<void> {
  const map = byCluster(store);
  const server = map.get(clusterName);
  map.delete(clusterName);
  if (server) await (await server.catch(() => undefined))?.close();
}

export function removeClusterData(ctx: EmuContext, clusterUid: string): void {
  const dir = dataDirOf(ctx, clusterUid);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

/** Stops every database of this emulator (on close and reset). */
export async function stopAllDatabases(store: Store): Promise<void> {
  const map = byCluster(store);
  const servers = [...map.values()];
  map.clear();
  await Promise.allSettled(servers.map(async (s) => (await s).close()));
}
