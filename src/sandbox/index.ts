/**
 * Rehearsal mode: the Google Cloud emulator and the Orchestra Memory API server,
 * started together, each keeping its state in a subfolder of one data folder.
 */
import * as path from 'node:path';
import { startGcpEmulator, type GcpEmulator, type GcpEmulatorOptions } from './gcp';
import { startMemoryServer, type MemoryServerHandle } from './memory';
import { deterministicEmbedding } from './gcp/apis/aiplatform';

export interface SandboxOptions {
  /** Port of the Google Cloud emulator (0: any free port). */
  port?: number;
  /** Port of the memory server (0 or absent: any free port). */
  memoryPort?: number;
  /** Port of the rehearsal's target memory server (0 or absent: any free port). */
  memoryTargetPort?: number;
  host?: string;
  /** State lives in <dataDir>/gcp and <dataDir>/memory. */
  dataDir: string;
  /** Memory API key, if the memory server should require one. */
  memoryApiKey?: string;
  gcp?: Omit<GcpEmulatorOptions, 'port' | 'host' | 'dataDir'>;
  /** Demo records written into the source memory server when it is empty, so a rehearsal has something to copy. */
  seedRecords?: number;
  /** Dimension of an embedding given to each demo record (content.embedding); 0 or absent: none. */
  seedEmbeddingDimension?: number;
}

export interface Sandbox {
  gcp: GcpEmulator;
  memory: MemoryServerHandle;
  /**
   * Stands in for the cloud memory server the Memory System phase copies into, so a
   * rehearsal copies between two real servers instead of onto its own source.
   */
  memoryTarget: MemoryServerHandle;
  /** The URLs, as `orchestra-migrate sandbox --json` prints them. */
  urls: { gcp: string; memory: string; memoryTarget: string };
  /** Demo records written at this start (0 when the source held records already). */
  seeded: number;
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const host = options.host ?? '127.0.0.1';
  const gcp = await startGcpEmulator({
    lroDelayMs: 1000,
    ...options.gcp,
    port: options.port ?? 0,
    host,
    dataDir: path.join(options.dataDir, 'gcp'),
  });
  const started: { close(): Promise<void> }[] = [gcp];
  const startMemory = async (port: number | undefined, folder: string) => {
    const server = await startMemoryServer({
      port: port ?? 0,
      host,
      dataDir: path.join(options.dataDir, folder),
      apiKey: options.memoryApiKey,
    });
    started.push(server);
    return server;
  };
  const closeAll = async () => {
    await Promise.allSettled(started.map((s) => s.close()));
  };
  try {
    const memory = await startMemory(options.memoryPort, 'memory');
    const memoryTarget = await startMemory(options.memoryTargetPort, 'memory-target');
    const seeded =
      memory.store.size === 0
        ? await seedDemoRecords(memory, options.seedRecords ?? 0, options.seedEmbeddingDimension ?? 0)
        : 0;
    return {
      gcp,
      memory,
      memoryTarget,
      urls: { gcp: gcp.url, memory: memory.url, memoryTarget: memoryTarget.url },
      seeded,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * Records shaped like the AI Orchestra's memory (agent notes, tasks, embeddings'
 * metadata), a thousand to a durable write. Deterministic: the same count gives the
 * same records, so two rehearsals compare.
 */
async function seedDemoRecords(server: MemoryServerHandle, count: number, dimension: number): Promise<number> {
  const agents = ['planner', 'coder', 'reviewer', 'researcher'];
  for (let start = 0; start < count; start += 1000) {
    const ops = [];
    for (let i = start; i < Math.min(count, start + 1000); i++) {
      const agent = agents[i % agents.length];
      ops.push({
        op: 'set' as const,
        key: `agents/${agent}/notes/${String(i).padStart(6, '0')}`,
        content: {
          agent,
          kind: i % 3 === 0 ? 'task' : 'note',
          text: `Demo memory ${i} of the ${agent} agent`,
          tags: ['demo', agent],
          score: (i % 100) / 100,
          // The same deterministic vectors the Vertex AI emulator answers with for this text.
          ...(dimension > 0
            ? { embedding: deterministicEmbedding(`Demo memory ${i} of the ${agent} agent`, dimension) }
            : {}),
        },
        scope: i % 5 === 0 ? 'team' : agent,
      });
    }
    await server.store.writeMany(ops);
  }
  return count;
}
