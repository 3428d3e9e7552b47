/**
 * Every CLI command, in the order `help` lists them. One line per command: add a file
 * under commands/ and register it here. Each module loads only when its command runs,
 * so `status --json` never loads the engine's cloud and memory clients. require() of a
 * literal path, not import(): esbuild bundles it as a lazily initialised module, and tsx's
 * CommonJS hook (the tests) resolves it from source, which import() there cannot.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import type { CommandEntry } from '../command';
import type * as InitModule from './init';
import type * as ConfigModule from './config';
import type * as VerifyModule from './verify';
import type * as ExecuteModule from './execute';
import type * as StatusModule from './status';
import type * as MonitorModule from './monitor';
import type * as HealthModule from './health';
import type * as MemoryModule from './memory';
import type * as ReportModule from './report';
import type * as SkipModule from './skip';
import type * as SandboxModule from './sandbox';
import type * as LoginModule from './login';
import type * as DestroyModule from './destroy';
import type * as SyncModule from './sync';
import type * as CutoverModule from './cutover';

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'init',
    summary: 'Write the default config files (never overwrites) and git-ignore .orchestra/',
    load: async () => (require('./init') as typeof InitModule).initCommand,
  },
  {
    name: 'config',
    summary: 'Show the resolved configuration, where each value comes from, and the endpoints',
    load: async () => (require('./config') as typeof ConfigModule).configCommand,
  },
  {
    name: 'verify',
    summary: 'Plan the migration: what execute would create, update or leave (read-only)',
    load: async () => (require('./verify') as typeof VerifyModule).verifyCommand,
  },
  {
    name: 'execute',
    summary: 'Run the migration: apply the plan, resumably (asks first unless --yes)',
    load: async () => (require('./execute') as typeof ExecuteModule).executeCommand,
  },
  {
    name: 'sync',
    summary: 'After the first copy: move only the memory records changed on the source since the last sync',
    load: async () => (require('./sync') as typeof SyncModule).syncCommand,
  },
  {
    name: 'cutover',
    summary:
      'Switch every environment to the cloud: source read-only, final sync, check, endpoints (asks unless --yes)',
    load: async () => (require('./cutover') as typeof CutoverModule).cutoverCommand,
  },
  {
    name: 'rollback-cutover',
    summary: 'Undo a cutover: writes copied back, the endpoints before it restored, the source writable',
    load: async () => (require('./cutover') as typeof CutoverModule).rollbackCutoverCommand,
  },
  {
    name: 'destroy',
    summary: 'Delete what this migration created, dependants first (asks for the project id unless --yes)',
    load: async () => (require('./destroy') as typeof DestroyModule).destroyCommand,
  },
  {
    name: 'status',
    summary: 'Show the migration phases, their status and metrics (from the state file)',
    load: async () => (require('./status') as typeof StatusModule).statusCommand,
  },
  {
    name: 'monitor',
    summary: 'Follow a running migration (from any terminal) until it finishes',
    load: async () => (require('./monitor') as typeof MonitorModule).monitorCommand,
  },
  {
    name: 'health',
    summary: 'Check the memory servers and the deployed API: up, slow or down, with round trips',
    load: async () => (require('./health') as typeof HealthModule).healthCommand,
  },
  {
    name: 'memory',
    summary: "Get, set, list or delete records in the copy's source or target memory store (--side)",
    load: async () => (require('./memory') as typeof MemoryModule).memoryCommand,
  },
  {
    name: 'report',
    summary: 'Write the Markdown migration report (phases, metrics, outputs, timeline) from the state file',
    load: async () => (require('./report') as typeof ReportModule).reportCommand,
  },
  {
    name: 'skip',
    summary: 'Mark a phase skipped: execute passes over it until it is reset',
    load: async () => (require('./skip') as typeof SkipModule).skipCommand,
  },
  {
    name: 'reset',
    summary: "Forget a phase's progress (steps, checkpoints); the next execute re-reads it",
    load: async () => (require('./skip') as typeof SkipModule).resetCommand,
  },
  {
    name: 'sandbox',
    summary: 'Run the local Google Cloud emulator and memory server for a rehearsal',
    load: async () => (require('./sandbox') as typeof SandboxModule).sandboxCommand,
  },
  {
    name: 'login',
    summary: 'Sign in to Google Cloud in a browser (when there are no Application Default Credentials)',
    load: async () => (require('./login') as typeof LoginModule).loginCommand,
  },
];
