import { InputError } from '../../core/errors';
import type { MemoryAnswer, MemoryOperation } from '../../core/workspace';
import { EXIT_MIGRATION_FAILED, EXIT_OK, type CliCommand } from '../command';
import { parseFlags, withWorkspace } from '../flags';

const USAGE =
  'orchestra-migrate memory get <key> | set <key> <json> [--scope S] [--ttl SECONDS] | delete <key> |\n' +
  '                         list [prefix] [--limit N] [--cursor C]   [--side source|target] [--json]';

/** Version of the `memory --json` document (docs/cli.md); bumped only on incompatible changes. */
export const MEMORY_JSON_VERSION = 1;

export const memoryCommand: CliCommand = {
  usage:
    `${USAGE}\n\nOne call on a store of the memory copy, reached as the copy reaches it: --side source (default)\n` +
    'is memory.source, --side target is memory.target (each with its own transport: http, mcp-stdio or\n' +
    'mcp-http). Look at either store before and after a copy. Exit status 0 when done, 1 when get finds\n' +
    'no record, 2 for bad input.',
  async run(ctx) {
    const flags = parseFlags(ctx.argv, {
      booleans: ['--json'],
      values: ['--side', '--scope', '--ttl', '--limit', '--cursor'],
      usage: USAGE,
    });
    const [op, ...rest] = flags.positional;
    if (!op)
      throw new InputError('memory needs an operation.', { where: 'memory <operation>', fix: `Usage: ${USAGE}` });
    const maxArgs = op === 'set' ? 2 : 1;
    if (rest.length > maxArgs) {
      throw new InputError(`memory ${op} takes ${maxArgs} argument(s), not ${rest.length}: ${rest.join(' ')}.`, {
        where: `memory ${op}`,
        fix: `Usage: ${USAGE} (quote a JSON value with spaces as one argument)`,
      });
    }
    const one = (name: string) => {
      const values = flags.values.get(name);
      if (values && values.length > 1)
        throw new InputError(`${name} is given twice.`, { where: name, fix: `Give ${name} once.` });
      return values?.[0];
    };
    const number = (name: string) => {
      const text = one(name);
      if (text === undefined) return undefined;
      if (!/^\d+$/.test(text)) {
        throw new InputError(`${name} ${JSON.stringify(text)} is not a whole number.`, {
          where: name,
          fix: `Give ${name} as digits.`,
        });
      }
      return Number(text);
    };
    const side = (one('--side') ?? 'source') as 'source' | 'target';
    const answer = await withWorkspace(ctx, (workspace) =>
      workspace.memory({
        side,
        op: op as MemoryOperation,
        ...(op === 'list' ? { prefix: rest[0] } : { key: rest[0] }),
        ...(op === 'set' ? { content: rest[1] } : {}),
        scope: one('--scope'),
        ttl: number('--ttl'),
        limit: number('--limit'),
        cursor: one('--cursor'),
        signal: ctx.signal,
      }),
    );
    if (flags.booleans.has('--json')) {
      ctx.stdout.write(JSON.stringify({ memoryVersion: MEMORY_JSON_VERSION, op, ...answer }, null, 2) + '\n');
    } else {
      write(ctx.stdout, ctx.stderr, op, rest[0], answer);
    }
    return op === 'get' && !answer.found ? EXIT_MIGRATION_FAILED : EXIT_OK;
  },
};

function write(
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
  op: string,
  key: string | undefined,
  answer: MemoryAnswer,
): void {
  const where = `the ${answer.side} store (${answer.transport} ${answer.store})`;
  if (op === 'get') {
    if (!answer.record) stderr.write(`No record '${key}' in ${where}.\n`);
    else stdout.write(JSON.stringify(answer.record, null, 2) + '\n');
  } else if (op === 'list') {
    const page = answer.page!;
    for (const k of page.keys) stdout.write(`${k}\n`);
    stderr.write(
      `${page.keys.length} key(s) from ${where}` + (page.cursor ? `; more: --cursor ${page.cursor}\n` : '\n'),
    );
  } else {
    const done = op === 'set' ? `Set '${key}'` : `Deleted '${key}'`;
    stderr.write(
      answer.queued
        ? `${where} is unreachable: the ${op} of '${key}' waits in the outbox and is sent when it answers.\n`
        : `${done} in ${where}.\n`,
    );
  }
}
