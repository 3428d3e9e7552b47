/**
 * Runs the local memory server as its own process:
 *   tsx src/sandbox/memory/main.ts [--port P] [--host H] [--data DIR] [--api-key-env VAR] [--faults JSON]
 *                                  [--tls-key FILE --tls-cert FILE]
 * prints one JSON line `{"memory":"http://127.0.0.1:P"}` once listening, and stops on SIGINT/SIGTERM.
 * The API key is read from an environment variable (default ORCHESTRA_MEMORY_API_KEY),
 * never from the command line, where `ps` would show it.
 */
import { readFileSync } from 'node:fs';
import { startMemoryServer } from './server';

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument '${arg}'`);
    const [name, inline] = arg.slice(2).split('=', 2);
    out[name] = inline ?? argv[++i] ?? '';
  }
  return out;
}

async function run(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const keyVar = args['api-key-env'] ?? 'ORCHESTRA_MEMORY_API_KEY';
  const handle = await startMemoryServer({
    port: args.port !== undefined ? Number(args.port) : 0,
    host: args.host,
    dataDir: args.data ?? '.orchestra/sandbox/memory',
    apiKey: process.env[keyVar] || undefined,
    faults: args.faults ? (JSON.parse(args.faults) as object) : undefined,
    tls: args['tls-key']
      ? { key: readFileSync(args['tls-key']), cert: readFileSync(args['tls-cert'] ?? '') }
      : undefined,
  });
  process.stdout.write(JSON.stringify({ memory: handle.url }) + '\n');
  const stop = () => {
    handle.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

run().catch((error: unknown) => {
  process.stderr.write(`memory server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
