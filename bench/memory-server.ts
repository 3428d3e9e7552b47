/**
 * The Orchestra memory server in a process of its own, as the benchmarks that measure
 * across processes run it: started on a free port, its URL read from the JSON line it
 * prints when it listens.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface MemoryServerProcess {
  url: string;
  child: ChildProcess;
  dataDir: string;
}

/** `script` is the server's bundle; `nodeArgs` go to node before it (a CPU profile, say). */
export async function startMemoryServerProcess(
  script: string,
  dataDir: string,
  nodeArgs: string[] = [],
): Promise<MemoryServerProcess> {
  const child = spawn(process.execPath, [...nodeArgs, script, '--port', '0', '--data', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { memory: string }).memory);
    });
    child.on('exit', (code) => reject(new Error(`memory server exited ${code}`)));
  });
  return { url, child, dataDir };
}

export async function stopMemoryServerProcess(server: MemoryServerProcess): Promise<void> {
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}
