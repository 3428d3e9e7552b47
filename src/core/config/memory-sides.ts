/**
 * The two stores of the memory copy, each resolved from its own keys (memory.source,
 * memory.target) over the shared ones (memory.transport, command, args, env): a
 * config written before the sides existed means what it meant, and one that names a
 * side reaches exactly the store it names. The one rule for "which store is this",
 * used by the copy, the `memory` command, health and the same-store refusal.
 */
import * as path from 'node:path';
import type { MemorySideConfig, MemoryTransport, OrchestraConfig } from './types';

export type MemorySideName = 'source' | 'target';
export const MEMORY_SIDE_NAMES: readonly MemorySideName[] = ['source', 'target'];

/** A store, resolved: how to reach it and which setting said so. */
export interface MemorySide {
  side: MemorySideName;
  transport: MemoryTransport;
  /** http and mcp-http: the URL; undefined when no setting names one. */
  endpoint?: string;
  /** mcp-stdio: the server process. */
  command?: string;
  args: string[];
  env: Record<string, string>;
  keyVariable?: string;
  /** The setting that named the store (endpoint or command), for messages. */
  setting: string;
}

/**
 * `fallbackEndpoint`: the source's endpoint when nothing more specific names one (this
 * environment's memory endpoint, getEndpoint('memory')).
 */
export function memorySide(config: OrchestraConfig, side: MemorySideName, fallbackEndpoint?: string): MemorySide {
  const own: MemorySideConfig = config.memory[side] ?? {};
  const transport = own.transport ?? config.memory.transport;
  const env = { ...config.memory.env, ...own.env };
  const base = { side, transport, env, ...(own.keyVariable ? { keyVariable: own.keyVariable } : {}) };
  if (transport === 'mcp-stdio') {
    // Another command does not inherit the shared arguments: they belong to the shared command.
    const command = own.command ?? config.memory.command;
    const args = own.args ?? (own.command ? [] : (config.memory.args ?? []));
    const setting = own.command ? `memory.${side}.command` : 'memory.command';
    return { ...base, args, setting, ...(command ? { command } : {}) };
  }
  const phase = config.phases.memorySystem;
  // The memory server's address is the source's only when the source speaks its protocol.
  const sameServer = transport === config.memory.transport;
  const candidates: [string | undefined, string][] =
    side === 'source'
      ? [
          [own.endpoint, 'memory.source.endpoint'],
          [phase.sourceEndpoint, 'phases.memorySystem.sourceEndpoint'],
          [sameServer ? config.memory.endpoint : undefined, 'memory.endpoint'],
          [sameServer ? fallbackEndpoint : undefined, 'memory.endpoint'],
        ]
      : [
          [own.endpoint, 'memory.target.endpoint'],
          [phase.targetEndpoint, 'phases.memorySystem.targetEndpoint'],
        ];
  const found = candidates.find(([value]) => Boolean(value));
  const setting = found?.[1] ?? `memory.${side}.endpoint`;
  return { ...base, args: [], setting, ...(found ? { endpoint: found[0] } : {}) };
}

/** Both stores. */
export function memorySides(
  config: OrchestraConfig,
  fallbackEndpoint?: string,
): { source: MemorySide; target: MemorySide } {
  return {
    source: memorySide(config, 'source', fallbackEndpoint),
    target: memorySide(config, 'target', fallbackEndpoint),
  };
}

/** The variable the reference server reads its graph file from. */
export const MEMORY_FILE_VARIABLE = 'MEMORY_FILE_PATH';

/** How a store is named in messages: its URL, or its command line and graph file. */
export function describeSide(side: MemorySide): string {
  if (side.transport !== 'mcp-stdio') return side.endpoint ?? '(no endpoint)';
  const line = [side.command ?? '(no command)', ...side.args].join(' ');
  const file = side.env[MEMORY_FILE_VARIABLE];
  return file ? `${line} (${MEMORY_FILE_VARIABLE}=${file})` : line;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/**
 * What makes two sides one store: the same URL (whatever the protocol: one server
 * answers both), or the same server command, arguments and graph file. `cwd` is where
 * the stdio child starts, so relative paths compare by the file they name.
 */
export function storeIdentity(side: MemorySide, cwd: string): string | undefined {
  if (side.transport === 'mcp-stdio') {
    if (!side.command) return undefined;
    const file = side.env[MEMORY_FILE_VARIABLE];
    // The reference server resolves a relative MEMORY_FILE_PATH against its own folder, not the cwd:
    // the same relative text (up to '.' and '..' segments) with the same command is the same file.
    return `stdio\n${side.command}\n${side.args.map((a) => (looksLikePath(a) ? path.resolve(cwd, a) : a)).join('\n')}\n${file ? path.normalize(file) : '(server default file)'}`;
  }
  if (!side.endpoint) return undefined;
  try {
    const url = new URL(side.endpoint);
    const host = LOOPBACK.has(url.hostname) ? 'loopback' : url.hostname;
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    return `url\n${url.protocol}//${host}:${port}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return `url\n${side.endpoint}`;
  }
}

function looksLikePath(arg: string): boolean {
  return !arg.startsWith('-') && (arg.includes('/') || arg.includes(path.sep)) && !arg.startsWith('@');
}

/** Why the copy would read and write one store (undefined when the stores differ). */
export function sameStoreReason(source: MemorySide, target: MemorySide, cwd: string): string | undefined {
  const a = storeIdentity(source, cwd);
  if (a === undefined || a !== storeIdentity(target, cwd)) return undefined;
  const how =
    source.transport === 'mcp-stdio'
      ? `the same server command and ${MEMORY_FILE_VARIABLE}`
      : source.endpoint === target.endpoint
        ? 'the same URL'
        : 'the same server (one URL, spelled two ways)';
  return `the source and target are one store (${describeSide(target)}: ${how}, named by ${source.setting} and ${target.setting}); a copy onto itself would verify while moving nothing`;
}

export const SAME_STORE_FIX =
  'Point memory.target (endpoint, or command/args/env with its own MEMORY_FILE_PATH) at the cloud memory store, or memory.source at the store to copy from.';
