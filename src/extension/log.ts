import * as vscode from 'vscode';
import type { Logger } from '../core/logger';
import { OUTPUT_CHANNEL_NAME } from './constants';

/**
 * The extension's one LogOutputChannel. Its level follows the user's choice in
 * the Output view ("Set Log Level..."), like every other VS Code log.
 */
export function createLogChannel(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });
}

/** Adapts the channel to the engine's Logger, so src/core logs where the user looks. */
export function channelLogger(channel: vscode.LogOutputChannel): Logger {
  return {
    trace: (message, ...args) => channel.trace(message, ...args),
    debug: (message, ...args) => channel.debug(message, ...args),
    info: (message, ...args) => channel.info(message, ...args),
    warn: (message, ...args) => channel.warn(message, ...args),
    error: (message, ...args) => channel.error(message, ...args),
  };
}
