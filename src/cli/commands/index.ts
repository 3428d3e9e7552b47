/**
 * Every CLI command, in the order `help` lists them. One line per command:
 * add a file under commands/ and register it here.
 */
import type { CliCommand } from '../command';
import { sandboxCommand } from './sandbox';
import { statusCommand } from './status';

export const COMMANDS: readonly CliCommand[] = [statusCommand, sandboxCommand];
