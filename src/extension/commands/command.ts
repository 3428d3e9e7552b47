import type { CommandId } from '../constants';
import type { OrchestraContext } from '../context';

/** One command: its id (declared in package.json too) and what it does. One file per command. */
export interface OrchestraCommand {
  readonly id: CommandId;
  run(ctx: OrchestraContext, ...args: unknown[]): unknown;
}
