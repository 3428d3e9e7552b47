/**
 * A question on the terminal that a signal ends like any other wait. readline in a
 * terminal reads Ctrl-C as a key, not a signal: unhandled, its question failed with
 * "Aborted with Ctrl+C" and exit 1, and a SIGTERM sent meanwhile printed "stopping" and
 * then waited for an answer forever. Ctrl-C is handed to the process's SIGINT handling,
 * and the command's abort signal ends the question, so both exit 130 / 143.
 */
import * as readline from 'node:readline/promises';
import type { CliContext } from './command';

export async function ask(ctx: CliContext, question: string): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: ctx.stderr as NodeJS.WritableStream });
  rl.on('SIGINT', () => process.emit('SIGINT', 'SIGINT'));
  try {
    return await rl.question(question, { signal: ctx.signal });
  } catch (error) {
    if (ctx.signal.aborted) throw new Error('Stopped before an answer: nothing was changed.', { cause: error });
    throw error;
  } finally {
    rl.close();
  }
}
