import * as path from 'node:path';
import { createMemoryClient } from '../../../src/core/memory';
import { startMemoryServer } from '../../../src/sandbox/memory';
import { describeMemoryContract } from './contract';
import { memoryConfig, tempDir } from './helpers';

describeMemoryContract('HTTP transport against the local Orchestra Memory API server', async () => {
  const temp = await tempDir('contract-http');
  const server = await startMemoryServer({ dataDir: path.join(temp.dir, 'data'), apiKey: 'contract-key-0123456789' });
  const client = await createMemoryClient({
    config: memoryConfig({ endpoint: server.url }),
    apiKey: 'contract-key-0123456789',
    outboxDir: path.join(temp.dir, 'outbox'),
  });
  return {
    client,
    async cleanup() {
      await client.close();
      await server.close();
      await temp.cleanup();
    },
  };
});
