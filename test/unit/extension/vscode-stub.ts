/**
 * The few parts of the `vscode` API that the extension's presentation code touches, as
 * plain objects, so its texts (tree rows, status bar items, tooltips, accessible labels)
 * are tested on plain Node. Import this module before any src/extension module: it makes
 * `require('vscode')` resolve here.
 */
import Module from 'node:module';

export class ThemeColor {
  constructor(readonly id: string) {}
}

export class ThemeIcon {
  constructor(
    readonly id: string,
    readonly color?: ThemeColor,
  ) {}
}

export class MarkdownString {
  supportThemeIcons: boolean;
  constructor(
    public value = '',
    supportThemeIcons = false,
  ) {
    this.supportThemeIcons = supportThemeIcons;
  }
}

export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}

export class TreeItem {
  id?: string;
  description?: string;
  iconPath?: ThemeIcon;
  tooltip?: string | MarkdownString;
  contextValue?: string;
  accessibilityInformation?: { label: string; role?: string };
  constructor(
    public label: string,
    public collapsibleState: TreeItemCollapsibleState = TreeItemCollapsibleState.None,
  ) {}
}

export class EventEmitter<T> {
  private readonly listeners = new Set<(value: T) => void>();
  readonly event = (listener: (value: T) => void) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };
  fire(value: T): void {
    for (const listener of this.listeners) listener(value);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}

/** A status bar item as the tests read it back: what it shows, and whether it is shown. */
export interface StubStatusBarItem {
  id: string;
  alignment: StatusBarAlignment;
  priority?: number;
  name?: string;
  text: string;
  tooltip?: string | MarkdownString;
  command?: string;
  backgroundColor?: ThemeColor;
  accessibilityInformation?: { label: string; role?: string };
  visible: boolean;
  show(): void;
  hide(): void;
  dispose(): void;
}

export const window = {
  /** The error notifications shown, oldest first (tests read them). */
  errorMessages: [] as { message: string; items: string[] }[],
  showErrorMessage(message: string, ...items: string[]): Promise<string | undefined> {
    this.errorMessages.push({ message, items });
    return Promise.resolve(undefined);
  },
  createStatusBarItem(id: string, alignment: StatusBarAlignment, priority?: number): StubStatusBarItem {
    return {
      id,
      alignment,
      priority,
      text: '',
      visible: false,
      show() {
        this.visible = true;
      },
      hide() {
        this.visible = false;
      },
      dispose() {
        this.visible = false;
      },
    };
  },
};

// `require('vscode')` from the modules under test gets this module: the editor provides the
// real one only inside its extension host.
type Resolver = (request: string, ...rest: unknown[]) => string;
const loader = Module as unknown as { _resolveFilename: Resolver };
const resolve = loader._resolveFilename;
loader._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
  return request === 'vscode' ? __filename : resolve.call(this, request, ...rest);
};
