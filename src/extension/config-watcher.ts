/**
 * Says when the workspace's configuration may have changed: a config file created,
 * changed or deleted, an `orchestra.*` setting, the workspace folders, workspace trust.
 * The file watcher is quick but not certain (in code-server it missed a config/ folder
 * created after start in some runs), so a slow listing of the folder backs it up. That
 * safety net reads the disk asynchronously, one listing at a time, off the host's
 * critical path: it never blocks the extension host thread.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { configListing } from './config-listing';
import { SETTINGS_SECTION } from './constants';

/** How often the config folder's listing is compared, behind the file watcher. */
const SAFETY_NET_MS = 2000;

export class ConfigWatcher implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires on every sign of a change; the listener debounces. */
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  private watched?: { readonly dir: string; readonly watcher: vscode.FileSystemWatcher };
  private listing?: string;
  private timer?: NodeJS.Timeout;
  private disposed = false;

  constructor() {
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration(SETTINGS_SECTION)) this.changed.fire();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.changed.fire()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.changed.fire()),
    );
  }

  /** Watches the config files of `dir` (the folder the last load read), replacing the folder watched before. */
  watch(dir: string): void {
    if (this.disposed || this.watched?.dir === dir) return;
    this.stopWatching();
    const watcher = vscode.workspace.createFileSystemWatcher(configPattern(dir));
    const fire = () => this.changed.fire();
    watcher.onDidCreate(fire);
    watcher.onDidChange(fire);
    watcher.onDidDelete(fire);
    this.watched = { dir, watcher };
    this.listing = undefined;
    this.scheduleListing(0);
  }

  /** The next listing starts only after the last one finished: no pile-up on a slow disk. */
  private scheduleListing(delayMs = SAFETY_NET_MS): void {
    if (this.disposed || !this.watched) return;
    const dir = this.watched.dir;
    this.timer = setTimeout(() => {
      void configListing(dir).then((now) => {
        if (this.disposed || this.watched?.dir !== dir) return;
        if (this.listing !== undefined && now !== this.listing) this.changed.fire();
        this.listing = now;
        this.scheduleListing();
      });
    }, delayMs);
    this.timer.unref();
  }

  private stopWatching(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.watched?.watcher.dispose();
    this.watched = undefined;
  }

  dispose(): void {
    this.disposed = true;
    this.stopWatching();
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.changed.dispose();
  }
}

/**
 * The config files of `dir` as a watch pattern. A watch rooted in a folder that does not
 * exist yet (a new workspace before `init`) cannot see it appear, so the pattern is rooted
 * in the workspace folder that holds `dir`, or else in the nearest folder that exists.
 */
function configPattern(dir: string): vscode.RelativePattern {
  const holder = vscode.workspace.workspaceFolders?.find((f) => {
    const rel = path.relative(f.uri.fsPath, dir);
    return f.uri.scheme === 'file' && !rel.startsWith('..') && !path.isAbsolute(rel);
  });
  let base = holder?.uri.fsPath ?? dir;
  while (!holder && !existsSync(base) && path.dirname(base) !== base) base = path.dirname(base);
  const rel = path.relative(base, dir).split(path.sep).join('/');
  return new vscode.RelativePattern(vscode.Uri.file(base), rel ? `${rel}/*.json` : '*.json');
}
