/**
 * The extension's one door to the application layer (src/core/workspace): the workspace of
 * the first folder, opened with the editor's settings, hints, secret storage and log. The
 * engine is a bundle of its own, dist/engine.js, required on first use: activation then
 * parses the small extension bundle only (esbuild.js builds both).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { InputError } from '../core/errors';
import type * as EngineModule from '../core/workspace';
import type { Workspace } from '../core/workspace';
import { MEMORY_API_KEY_SECRET } from './constants';
import { editorHints, environmentSetting } from './environment';
import { channelLogger } from './log';

export type Engine = typeof EngineModule;

/** The engine bundle; Node's module cache makes every call after the first free. */
export function loadEngine(): Engine {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(__dirname, 'engine.js')) as Engine;
}

export interface GatewayDeps {
  readonly secrets: vscode.SecretStorage;
  readonly log: vscode.LogOutputChannel;
}

export class WorkspaceGateway implements vscode.Disposable {
  private opened?: { readonly folder: string; readonly workspace: Workspace };

  constructor(private readonly deps: GatewayDeps) {}

  /** The engine module (loaded on first call). */
  get engine(): Engine {
    return loadEngine();
  }

  /** The workspace of the first folder on disk; undefined when there is none. */
  current(): Workspace | undefined {
    const folder = firstFolder();
    if (this.opened && this.opened.folder !== folder) this.closeCurrent();
    if (!folder) return undefined;
    this.opened ??= { folder, workspace: this.open(folder) };
    return this.opened.workspace;
  }

  /** The first folder's workspace, or an error that says to open one. */
  require(purpose: string): Workspace {
    const workspace = this.current();
    if (!workspace) throw new InputError(`Open a folder first: ${purpose}.`);
    return workspace;
  }

  /**
   * The workspace a run works on. A run calls Google Cloud and the memory servers with the
   * user's credentials, at addresses the workspace's files may set: a trusted workspace only.
   */
  forRun(): Workspace {
    const workspace = this.require('the migration runs on the project configured in it');
    if (!vscode.workspace.isTrusted) {
      throw new InputError(
        'This workspace is not trusted: Orchestra Migrate only shows status here. Trust the workspace to verify or execute.',
      );
    }
    return workspace;
  }

  private open(folder: string): Workspace {
    const { openWorkspace, settingsLayerFrom, explicitSettingValue } = loadEngine();
    const uri = vscode.Uri.file(folder);
    return openWorkspace({
      folder,
      env: process.env,
      // Untrusted workspaces must not redirect endpoints through workspace settings.
      settings: () => {
        const settings = vscode.workspace.getConfiguration(undefined, uri);
        return settingsLayerFrom((key) => explicitSettingValue(settings.inspect(key), vscode.workspace.isTrusted));
      },
      probes: () => ({ editor: editorHints(), setting: environmentSetting() }),
      secrets: { memoryApiKey: async () => (await this.deps.secrets.get(MEMORY_API_KEY_SECRET)) || undefined },
      // The memory API key never leaves an untrusted workspace; plain http beyond loopback asks once per host.
      keyConsent: { trusted: () => vscode.workspace.isTrusted, ask: askToSendKey },
      logger: channelLogger(this.deps.log),
    });
  }

  private closeCurrent(): void {
    const opened = this.opened;
    this.opened = undefined;
    opened?.workspace
      .close()
      .catch((error: unknown) => this.deps.log.warn(`closing the workspace failed: ${String(error)}`));
  }

  dispose(): void {
    this.closeCurrent();
  }
}

/** A modal naming the host: the workspace's files chose it, so the user decides (remembered per host). */
async function askToSendKey(host: string, endpoint: string): Promise<boolean> {
  const send = 'Send the Key to This Host';
  const answer = await vscode.window.showWarningMessage(
    `Send your memory API key to ${host}?`,
    {
      modal: true,
      detail: `This workspace's configuration names ${endpoint} as a memory server. Over plain http the key travels in clear text. Allow it only if you trust ${host}; your answer is remembered for this host.`,
    },
    send,
  );
  return answer === send;
}

function firstFolder(): string | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder && folder.uri.scheme === 'file' ? folder.uri.fsPath : undefined;
}
