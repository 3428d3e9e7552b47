/**
 * package.json is the extension's manifest: its contributions must match the ids the
 * code uses (src/extension/constants.ts). The extension-host suite checks the same
 * against a running VS Code; this catches it in a second, without one.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  COMMAND_IDS,
  EXTENSION_ID,
  SETTING_KEYS,
  VIEW_CONTAINER_ID,
  VIEW_IDS,
  settingId,
} from '../../../src/extension/constants';

const ROOT = path.resolve(__dirname, '..', '..', '..');

interface Setting {
  type: string;
  default?: unknown;
  description?: string;
  markdownDescription?: string;
  scope?: string;
  restricted?: boolean;
  enum?: string[];
}

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  publisher: string;
  main: string;
  icon: string;
  engines: { vscode: string };
  activationEvents: string[];
  capabilities: Record<string, { supported: boolean | string; description: string }>;
  scripts: Record<string, string>;
  contributes: {
    viewsContainers: { activitybar: { id: string; title: string; icon: string }[] };
    views: Record<string, { id: string; name: string }[]>;
    commands: { command: string; title: string; category?: string }[];
    menus?: Record<string, { command: string }[]>;
    configuration: { properties: Record<string, Setting> };
    walkthroughs?: {
      id: string;
      title: string;
      steps: {
        id: string;
        title: string;
        description: string;
        media: { markdown?: string };
        completionEvents?: string[];
      }[];
    }[];
  };
};

describe('foundation: the extension manifest', () => {
  it('names the extension as the code does, for VS Code ^1.100', () => {
    assert.equal(`${pkg.publisher}.${pkg.name}`, EXTENSION_ID);
    assert.equal(pkg.main, './dist/extension.js');
    assert.equal(pkg.engines.vscode, '^1.100.0');
  });

  it('declares exactly the commands in COMMAND_IDS, each titled in the Orchestra category', () => {
    const declared = pkg.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual(declared, Object.values(COMMAND_IDS).sort());
    for (const c of pkg.contributes.commands) {
      assert.ok(c.title, `${c.command} has a title`);
      assert.equal(c.category, 'Orchestra', `${c.command} is in the Orchestra category`);
    }
    const known = new Set<string>(pkg.contributes.commands.map((c) => c.command));
    for (const [menu, entries] of Object.entries(pkg.contributes.menus ?? {})) {
      for (const entry of entries) assert.ok(known.has(entry.command), `${menu} refers to ${entry.command}`);
    }
  });

  it('puts the Migration Phases view in the Orchestra activity bar container, with an icon that exists', () => {
    const container = pkg.contributes.viewsContainers.activitybar.find((c) => c.id === VIEW_CONTAINER_ID);
    assert.ok(container, 'the Orchestra container is contributed');
    assert.equal(container.title, 'Orchestra');
    assert.match(readFileSync(path.join(ROOT, container.icon), 'utf8'), /<svg/);
    const views = pkg.contributes.views[VIEW_CONTAINER_ID];
    assert.deepEqual(
      views.map((v) => [v.id, v.name]),
      [[VIEW_IDS.phases, 'Migration Phases']],
    );
  });

  it('activates on the Orchestra workspace files (the view activates it implicitly)', () => {
    assert.ok(pkg.activationEvents.includes('workspaceContains:config/common.json'));
    assert.ok(!pkg.activationEvents.includes('*'), 'never activates on startup');
  });

  it('contributes every setting key the code reads, with a description and a default', () => {
    const properties = pkg.contributes.configuration.properties;
    for (const key of Object.values(SETTING_KEYS)) {
      const setting = properties[settingId(key)];
      assert.ok(setting, `${settingId(key)} is contributed`);
      assert.ok(setting.description ?? setting.markdownDescription, `${settingId(key)} has a description`);
      assert.notEqual(setting.default, undefined, `${settingId(key)} has a default`);
    }
    assert.deepEqual(properties['orchestra.environment'].enum, [
      'auto',
      'local',
      'codespaces',
      'workstation',
      'cloud_run',
    ]);
    assert.equal(properties['orchestra.environment'].default, 'auto');
  });

  it('never takes endpoints or the emulator switch from an untrusted workspace', () => {
    for (const key of [SETTING_KEYS.gcpEndpointOverrides, SETTING_KEYS.memoryEndpoint, SETTING_KEYS.gcpEmulator]) {
      const setting = pkg.contributes.configuration.properties[settingId(key)];
      assert.equal(setting.restricted, true, `${settingId(key)} is restricted`);
      assert.equal(setting.scope, 'machine-overridable', `${settingId(key)} is machine-overridable`);
    }
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.ok(pkg.capabilities.untrustedWorkspaces.description);
    assert.equal(pkg.capabilities.virtualWorkspaces.supported, false);
  });

  it('offers a getting-started walkthrough whose buttons run commands it declares, with media that exists', () => {
    const [walkthrough] = pkg.contributes.walkthroughs ?? [];
    assert.ok(walkthrough, 'one walkthrough');
    const ours = new Set<string>(Object.values(COMMAND_IDS));
    const settings = pkg.contributes.configuration.properties;
    assert.ok(walkthrough.steps.length >= 5, 'configure, key, health, verify, execute');
    for (const step of walkthrough.steps) {
      const commands = [...step.description.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]);
      assert.equal(commands.length, 1, `${step.id}: one button`);
      for (const command of commands) {
        assert.ok(ours.has(command) || command === 'workbench.action.openSettings', `${step.id}: ${command}`);
      }
      assert.ok(step.media.markdown, `${step.id}: markdown media`);
      const media = readFileSync(path.join(ROOT, step.media.markdown), 'utf8');
      assert.match(media, /^# /, `${step.id}: ${step.media.markdown} has a heading`);
      for (const event of step.completionEvents ?? []) {
        const [kind, id] = event.split(':');
        if (kind === 'onCommand') assert.ok(ours.has(id), `${step.id}: completion on ${id}`);
        else if (kind === 'onSettingChanged') assert.ok(settings[id], `${step.id}: completion on setting ${id}`);
        else assert.fail(`${step.id}: unexpected completion event ${event}`);
      }
    }
  });

  it('has a 128x128 PNG icon', () => {
    const png = readFileSync(path.join(ROOT, pkg.icon));
    assert.equal(png.subarray(1, 4).toString('ascii'), 'PNG');
    assert.equal(png.readUInt32BE(16), 128);
    assert.equal(png.readUInt32BE(20), 128);
  });

  it('packages without building twice (vsce runs vscode:prepublish)', () => {
    assert.match(pkg.scripts['vscode:prepublish'], /esbuild\.js --production/);
    assert.doesNotMatch(pkg.scripts.package, /esbuild/);
  });

  it('keeps .vscodeignore an allow-list', () => {
    const lines = readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    assert.equal(lines[0], '**', 'everything is ignored first');
    assert.ok(
      lines.slice(1).every((l) => l.startsWith('!')),
      'then only re-included',
    );
  });
});
