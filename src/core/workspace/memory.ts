/**
 * `orchestra-migrate memory get|set|list|delete --side source|target`: one store of the
 * copy, reached exactly as the copy reaches it (its transport, URL or server process, its
 * key), so a user can look at either store before and after. The client is opened for the
 * one call and closed after it (its MCP session ended, its server process stopped).
 * The wiring (memory clients, MCP SDK) loads on first use, as in workspace.ts.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import { describeSide, MEMORY_SIDE_NAMES, type MemorySideName } from '../config/memory-sides';
import { InputError } from '../errors';
import type { JsonValue, ListPage, MemoryRecord } from '../memory/types';
import type { MemorySideInput } from './wiring';
import type * as WiringModule from './wiring';

export type MemoryOperation = 'get' | 'set' | 'delete' | 'list';
export const MEMORY_OPERATIONS: readonly MemoryOperation[] = ['get', 'set', 'delete', 'list'];

export interface MemoryRequest {
  side: MemorySideName;
  op: MemoryOperation;
  key?: string;
  /** set: the value, as JSON text. */
  content?: string;
  scope?: string;
  ttl?: number;
  /** list: keys starting with this; the page size; the cursor of a previous page. */
  prefix?: string;
  limit?: number;
  cursor?: string;
  signal?: AbortSignal;
}

export interface MemoryAnswer {
  side: MemorySideName;
  /** The store, as messages name it (URL, or command line and graph file). */
  store: string;
  transport: string;
  /** get: the record, or undefined when the store has none under that key. */
  record?: MemoryRecord;
  found?: boolean;
  /** list: one page. */
  page?: ListPage;
  /** set/delete: true when the store was unreachable and the write waits in the outbox. */
  queued?: boolean;
}

/** Largest list page a user may ask for (the local server's own cap). */
export const MAX_LIST_LIMIT = 1000;

/** Bad input is refused before any store is contacted. */
export function checkMemoryRequest(request: MemoryRequest): { content?: JsonValue } {
  if (!MEMORY_SIDE_NAMES.includes(request.side)) {
    throw new InputError(`--side ${JSON.stringify(request.side)} is not a memory store.`, {
      where: '--side',
      fix: 'Use --side source or --side target.',
    });
  }
  if (!MEMORY_OPERATIONS.includes(request.op)) {
    throw new InputError(`memory ${JSON.stringify(request.op)} is not an operation.`, {
      where: 'memory <operation>',
      fix: `Use one of ${MEMORY_OPERATIONS.join(', ')}.`,
    });
  }
  if (request.op !== 'list' && !request.key) {
    throw new InputError(`memory ${request.op} needs a key.`, {
      where: '<key>',
      fix: `Usage: orchestra-migrate memory ${request.op} <key>${request.op === 'set' ? ' <json>' : ''}`,
    });
  }
  if (request.key !== undefined && (request.key.length === 0 || request.key.length > 1024)) {
    throw new InputError('A memory key has 1 to 1024 characters.', { where: '<key>', fix: 'Use a shorter key.' });
  }
  if (
    request.limit !== undefined &&
    (!Number.isInteger(request.limit) || request.limit < 1 || request.limit > MAX_LIST_LIMIT)
  ) {
    throw new InputError(`--limit must be a whole number from 1 to ${MAX_LIST_LIMIT}.`, {
      where: '--limit',
      fix: `Give --limit 1..${MAX_LIST_LIMIT}.`,
    });
  }
  if (request.ttl !== undefined && (!Number.isInteger(request.ttl) || request.ttl < 1)) {
    throw new InputError('--ttl must be a whole number of seconds, at least 1.', {
      where: '--ttl',
      fix: 'Give --ttl in seconds, e.g. --ttl 3600, or leave it out.',
    });
  }
  if (request.op !== 'set') return {};
  if (request.content === undefined) {
    throw new InputError('memory set needs the value, as JSON.', {
      where: '<json>',
      fix: `Usage: orchestra-migrate memory set <key> '<json>', e.g. '{"note":"hello"}' or '"text"'`,
    });
  }
  try {
    return { content: JSON.parse(request.content) as JsonValue };
  } catch (error) {
    throw new InputError(`The value of memory set is not JSON: ${(error as Error).message}.`, {
      where: '<json>',
      fix: `Quote text as JSON ('"hello"'), or give an object ('{"note":"hello"}').`,
    });
  }
}

export async function memoryCall(input: MemorySideInput, request: MemoryRequest): Promise<MemoryAnswer> {
  const { content } = checkMemoryRequest(request);
  const { resolvedSides, openMemorySide } = require('./wiring') as typeof WiringModule;
  const side = resolvedSides(input)[request.side];
  const client = await openMemorySide(input, input.resolved.config, side, `memory-${request.side}`);
  const answer: MemoryAnswer = { side: request.side, store: describeSide(side), transport: side.transport };
  const signal = request.signal;
  try {
    switch (request.op) {
      case 'get': {
        const record = await client.get(request.key!, { signal });
        return { ...answer, found: record !== undefined, ...(record ? { record } : {}) };
      }
      case 'set': {
        const result = await client.set(request.key!, content!, { scope: request.scope, ttl: request.ttl, signal });
        return { ...answer, queued: result.queued };
      }
      case 'delete':
        return { ...answer, queued: (await client.delete(request.key!, { signal })).queued };
      case 'list': {
        const page = await client.list(request.prefix ?? '', request.cursor, { limit: request.limit ?? 100, signal });
        return { ...answer, page };
      }
    }
  } finally {
    await client.close();
  }
}
