// A minimal stand-in for the 'vscode' module, enough for activate() to run outside
// VS Code: the classes and functions the extension uses, and for anything else a
// harmless stub (callable, constructible, every property another stub), so the
// benchmark keeps working as activation grows. It measures our code, not VS Code's.
'use strict';

function stub(name) {
  const fn = function () {
    return stub(`${name}()`);
  };
  return new Proxy(fn, {
    get(target, prop) {
      if (prop === 'then') return undefined; // not a thenable
      if (prop === Symbol.toPrimitive) return () => name;
      if (prop === 'dispose') return () => undefined;
      if (!(prop in target)) target[prop] = stub(`${name}.${String(prop)}`);
      return target[prop];
    },
    construct() {
      return stub(`new ${name}`);
    },
  });
}

function withFallback(object, name) {
  return new Proxy(object, {
    get(target, prop) {
      if (prop in target || typeof prop === 'symbol') return target[prop];
      return stub(`${name}.${prop}`);
    },
  });
}

const disposable = () => ({ dispose() {} });
const event = () => disposable();

class Disposable {
  constructor(callOnDispose) {
    this.callOnDispose = callOnDispose;
  }
  static from(...items) {
    return new Disposable(() => items.forEach((d) => d.dispose()));
  }
  dispose() {
    this.callOnDispose?.();
  }
}

class EventEmitter {
  constructor() {
    this.listeners = new Set();
    this.event = (listener) => {
      this.listeners.add(listener);
      return { dispose: () => this.listeners.delete(listener) };
    };
  }
  fire(value) {
    for (const l of this.listeners) l(value);
  }
  dispose() {
    this.listeners.clear();
  }
}

class TreeItem {
  constructor(label, collapsibleState) {
    this.label = label;
    this.collapsibleState = collapsibleState;
  }
}

class ThemeIcon {
  constructor(id, color) {
    this.id = id;
    this.color = color;
  }
}

class ThemeColor {
  constructor(id) {
    this.id = id;
  }
}

class MarkdownString {
  constructor(value = '') {
    this.value = value;
  }
  appendMarkdown(text) {
    this.value += text;
    return this;
  }
  appendText(text) {
    this.value += text;
    return this;
  }
}

const log = () => undefined;
const channel = () => ({
  name: 'stand-in',
  logLevel: 2,
  onDidChangeLogLevel: event,
  trace: log,
  debug: log,
  info: log,
  warn: log,
  error: log,
  append: log,
  appendLine: log,
  replace: log,
  clear: log,
  show: log,
  hide: log,
  dispose: log,
});

const statusBarItem = () => ({ show: log, hide: log, dispose: log });

const configuration = () => ({
  get: (_key, fallback) => fallback,
  has: () => false,
  inspect: () => undefined,
  update: async () => undefined,
});

module.exports = withFallback(
  {
    Disposable,
    EventEmitter,
    TreeItem,
    ThemeIcon,
    ThemeColor,
    MarkdownString,
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    StatusBarAlignment: { Left: 1, Right: 2 },
    QuickPickItemKind: { Separator: -1, Default: 0 },
    UIKind: { Desktop: 1, Web: 2 },
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    env: withFallback({ remoteName: undefined, uiKind: 1, appName: 'stand-in' }, 'env'),
    window: withFallback(
      {
        createOutputChannel: channel,
        createStatusBarItem: statusBarItem,
        createTreeView: () => ({ dispose: log, onDidChangeVisibility: event, visible: true }),
        registerTreeDataProvider: disposable,
        showErrorMessage: async () => undefined,
        showInformationMessage: async () => undefined,
        showQuickPick: async () => undefined,
      },
      'window',
    ),
    commands: withFallback(
      { registerCommand: disposable, executeCommand: async () => undefined, getCommands: async () => [] },
      'commands',
    ),
    workspace: withFallback(
      {
        getConfiguration: configuration,
        onDidChangeConfiguration: event,
        onDidGrantWorkspaceTrust: event,
        onDidChangeWorkspaceFolders: event,
        workspaceFolders: undefined,
        isTrusted: true,
      },
      'workspace',
    ),
  },
  'vscode',
);
