/**
 * Rehearsal mode: the Google Cloud emulator and the Orchestra Memory API server,
 * started together, each keeping its state in a subfolder of one data folder.
 */
import * as path from 'node:path';
import { startGcpEmulator, type GcpEmulator, type GcpEmulatorOptions } from './gcp';
import { startMemoryServer, type MemoryServerHandle } from './memory';

export interface SandboxOptions {
  /** Port of the Google Cloud emulator (0: any free port). */
  port?: number;
  /** Port of the memory server (0 or absent: any free port). */
  memoryPort?: number;
  host?: string;
  /** State lives in <dataDir>/gcp and <dataDir>/memory. */
  dataDir: string;
  /** Memory API key, if the memory server should require one. */
  memoryApiKey?: string;
  gcp?: Omit<GcpEmulatorOptions, 'port' | 'host' | 'dataDir'>;
}

export interface Sandbox {
  gcp: GcpEmulator;
  memory: MemoryServerHandle;
  /** The URLs, as `orchestra-migrate sandbox --json` prints them. */
  urls: { gcp: string; memory: string };
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
  let memory: MemoryServerHandle;
  try {
    memory = await startMemoryServer({
      port: options.memoryPort ?? 0,
      host,
      dataDir: path.join(options.dataDir, 'memory'),
      apiKey: options.memoryApiKey,
    });
  } catch (error) {
    await gcp.close();
    throw error;
  }
  return {
    gcp,
    memory,
    urls: { gcp: gcp.url, memory: memory.url },
    close: async () => {
      await Promise.allSettled([gcp.close(), memory.close()]);
    },
  };
}
