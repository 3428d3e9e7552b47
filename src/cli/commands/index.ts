/**
 * Every CLI command, in the order `help` lists them. One line per command:
 * add a file under commands/ and register it here.
 */
import type { CliCommand } from '../command';
import { configCommand } from './config';
import { initCommand } from './init';
import { loginCommand } from './login';
import { sandboxCommand } from './sandbox';
import { executeCommand } from './execute';
import { healthCommand } from './health';
import { monitorCommand } from './monitor';
import { reportCommand } from './report';
import { resetCommand, skipCommand } from './skip';
import { statusCommand } from './status';
import { verifyCommand } from './verify';

export const COMMANDS: readonly CliCommand[] = [
  initCommand,
  configCommand,
  verifyCommand,
  executeCommand,
  statusCommand,
  monitorCommand,
  healthCommand,
  reportCommand,
  skipCommand,
  resetCommand,
  sandboxCommand,
  loginCommand,
];
