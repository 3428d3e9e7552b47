import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadConfig } from '../../../src/core/config/load';
import { describeConfig } from '../../../src/core/config/describe';
import { envLayerFrom, envNameToPath, pathToEnvName } from '../../../src/core/config/env-vars';
import { requireProject } from '../../../src/core/config/project';
import { explicitSettingValue, settingsLayerFrom } from '../../../src/core/config/settings';
import { InputError } from '../../../src/core/errors';
import type { ConfigLayer } from '../../../src/core/config/types';
import { issuesOf, workspace } from './helpers';

describe('configuration layers', () => {
  let ws: ReturnType<typeof workspace>;
  afterEach(() => ws?.cleanup());

  /** Every layer sets memory.timeoutMs (and a key only it sets); the highest present wins. */
  const PRECEDENCE: {
    name: string;
    common?: boolean;
    envFile?: boolean;
    settings?: boolean;
    variable?: boolean;
    value: number;
    layer: ConfigLayer;
    source: (dir: string) => string;
  }[] = [
    { name: 'defaults alone', value: 2000, layer: 'defaults', source: () => 'built-in defaults' },
    {
      name: 'common.json over defaults',
      common: true,
      value: 2100,
      layer: 'common',
      source: (d) => path.join(d, 'config/common.json'),
    },
    {
      name: '<env>.json over common.json',
      common: true,
      envFile: true,
      value: 2200,
      layer: 'environment',
      source: (d) => path.join(d, 'config/workstation.json'),
    },
    {
      name: 'settings over <env>.json',
      common: true,
      envFile: true,
      settings: true,
      value: 2300,
      layer: 'settings',
      source: () => 'user settings',
    },
    {
      name: 'ORCHESTRA_* over settings',
      common: true,
      envFile: true,
      settings: true,
      variable: true,
      value: 2400,
      layer: 'env',
      source: () => 'ORCHESTRA_MEMORY__TIMEOUT_MS',
    },
    {
      name: 'ORCHESTRA_* over defaults alone',
      variable: true,
      value: 2400,
      layer: 'env',
      source: () => 'ORCHESTRA_MEMORY__TIMEOUT_MS',
    },
    {
      name: 'settings over common.json (no env file)',
      common: true,
      settings: true,
      value: 2300,
      layer: 'settings',
      source: () => 'user settings',
    },
  ];

  for (const c of PRECEDENCE) {
    it(`precedence: ${c.name}, with provenance`, async () => {
      ws = workspace({
        ...(c.common ? { 'config/common.json': { memory: { timeoutMs: 2100, poolSize: 4 } } } : {}),
        ...(c.envFile ? { 'config/workstation.json': { memory: { timeoutMs: 2200 } } } : {}),
      });
      const resolved = await loadConfig({
        dir: ws.dir,
        env: { ORCHESTRA_ENV: 'workstation', ...(c.variable ? { ORCHESTRA_MEMORY__TIMEOUT_MS: '2400' } : {}) },
        settings: c.settings ? { memory: { timeoutMs: 2300 } } : undefined,
        settingsSource: 'user settings',
      });
      assert.equal(resolved.config.memory.timeoutMs, c.value);
      assert.deepEqual(resolved.provenance('memory.timeoutMs'), { layer: c.layer, source: c.source(ws.dir) });
      // Deep merge: a sibling set by a lower layer survives.
      if (c.common) {
        assert.equal(resolved.config.memory.poolSize, 4);
        assert.deepEqual(resolved.provenance('memory.poolSize'), {
          layer: 'common',
          source: path.join(ws.dir, 'config/common.json'),
        });
      }
      assert.deepEqual(resolved.provenance('memory.transport'), { layer: 'defaults', source: 'built-in defaults' });
    });
  }

  it('arrays replace, objects merge; an object is attributed to the latest layer inside it', async () => {
    ws = workspace({
      'config/common.json': {
        phases: { coreInfrastructure: { services: ['run.googleapis.com', 'iam.googleapis.com'] } },
        gcp: { endpointOverrides: { run: 'http://127.0.0.1:8085' } },
      },
      'config/local.json': {
        phases: { coreInfrastructure: { services: ['storage.googleapis.com'] } },
        gcp: { endpointOverrides: { iam: 'http://127.0.0.1:8085' } },
      },
    });
    const r = await loadConfig({ dir: ws.dir, env: {} });
    assert.deepEqual(r.config.phases.coreInfrastructure.services, ['storage.googleapis.com']);
    assert.deepEqual(r.config.gcp.endpointOverrides, { run: 'http://127.0.0.1:8085', iam: 'http://127.0.0.1:8085' });
    assert.equal(r.provenance('gcp.endpointOverrides.run')?.layer, 'common');
    assert.equal(r.provenance('gcp.endpointOverrides.iam')?.layer, 'environment');
    assert.equal(r.provenance('gcp.endpointOverrides')?.layer, 'environment');
    assert.equal(r.provenance('phases.coreInfrastructure.services[0]')?.layer, 'environment');
    assert.equal(r.provenance('phases.coreInfrastructure.serviceAccountId')?.layer, 'defaults');
    assert.equal(r.provenance('no.such.key'), undefined);
  });

  it('reads only common.json and the detected environment file', async () => {
    ws = workspace({
      'config/common.json': { location: 'europe-west4' },
      'config/codespaces.json': { location: 'asia-east1' },
      'config/cloud_run.json': { location: 'us-east1' },
    });
    const r = await loadConfig({ dir: ws.dir, env: { CODESPACES: 'true', CODESPACE_NAME: 'x' } });
    assert.equal(r.environment.kind, 'codespaces');
    assert.equal(r.config.location, 'asia-east1');
    assert.deepEqual(r.files, [path.join(ws.dir, 'config/common.json'), path.join(ws.dir, 'config/codespaces.json')]);
  });

  it('the kind option beats ORCHESTRA_ENV, and says so', async () => {
    ws = workspace({ 'config/cloud_run.json': { location: 'us-east1' } });
    const r = await loadConfig({ dir: ws.dir, env: { ORCHESTRA_ENV: 'local' }, kind: 'cloud_run' });
    assert.equal(r.environment.kind, 'cloud_run');
    assert.equal(r.environment.forcedBy, 'kind option');
    assert.equal(r.config.location, 'us-east1');
    assert.ok(r.environment.evidence.some((e) => e.signal === 'contradiction'));
  });

  it('loads with no config folder at all: the defaults', async () => {
    ws = workspace();
    const r = await loadConfig({ dir: ws.dir, env: {} });
    assert.deepEqual(r.files, []);
    assert.equal(r.config.projectId, '');
    assert.equal(r.config.ports.memory, 8765);
    assert.ok(Object.isFrozen(r.config.memory), 'the resolved config is frozen');
  });

  it('ORCHESTRA_CONFIG_DIR moves the folder (relative to the workspace, or absolute)', async () => {
    ws = workspace({ 'settings/orchestra/common.json': { location: 'europe-west1' } });
    const relative = await loadConfig({ dir: ws.dir, env: { ORCHESTRA_CONFIG_DIR: 'settings/orchestra' } });
    assert.equal(relative.config.location, 'europe-west1');
    assert.equal(relative.configDir, path.join(ws.dir, 'settings/orchestra'));
    const absolute = await loadConfig({
      dir: '/nonexistent',
      env: { ORCHESTRA_CONFIG_DIR: path.join(ws.dir, 'settings/orchestra') },
    });
    assert.equal(absolute.config.location, 'europe-west1');
  });

  it('ORCHESTRA_CONFIG_DIR pointing nowhere is an error naming the variable', async () => {
    ws = workspace();
    const [issue] = await issuesOf(() => loadConfig({ dir: ws.dir, env: { ORCHESTRA_CONFIG_DIR: 'missing' } }));
    assert.equal(issue.source, 'ORCHESTRA_CONFIG_DIR');
    assert.match(issue.message, /does not exist/);
  });

  it('comments, trailing commas and a byte order mark are accepted', async () => {
    ws = workspace({
      'config/common.json':
        '\ufeff{\n  // the project\n  "projectId": "my-project-1", /* inline */\n  "memory": { "timeoutMs": 900, },\n}\n',
    });
    const r = await loadConfig({ dir: ws.dir, env: {} });
    assert.equal(r.config.projectId, 'my-project-1');
    assert.equal(r.config.memory.timeoutMs, 900);
  });

  it('describeConfig lists every leaf with its layer and workspace-relative source', async () => {
    ws = workspace({ 'config/common.json': { projectId: 'my-project-1' } });
    const r = await loadConfig({
      dir: ws.dir,
      env: { ORCHESTRA_LOCATION: 'europe-west4' },
      settings: { log: { level: 'debug' } },
    });
    const lines = describeConfig(r);
    const byPath = new Map(lines.map((l) => [l.path, l]));
    assert.deepEqual(byPath.get('projectId'), {
      path: 'projectId',
      value: 'my-project-1',
      display: '"my-project-1"',
      layer: 'common',
      source: 'config/common.json',
    });
    assert.deepEqual(byPath.get('location'), {
      path: 'location',
      value: 'europe-west4',
      display: '"europe-west4"',
      layer: 'env',
      source: 'ORCHESTRA_LOCATION',
    });
    assert.equal(byPath.get('log.level')?.source, 'orchestra.logLevel');
    assert.equal(byPath.get('breaker.retry.maxAttempts')?.layer, 'defaults');
    assert.ok(lines.length > 50);
  });
});

describe('ORCHESTRA_* variables', () => {
  const RULE: [string, string][] = [
    ['ORCHESTRA_PROJECT_ID', 'projectId'],
    ['ORCHESTRA_LOCATION', 'location'],
    ['ORCHESTRA_MEMORY__ENDPOINT', 'memory.endpoint'],
    ['ORCHESTRA_MEMORY__TIMEOUT_MS', 'memory.timeoutMs'],
    ['ORCHESTRA_BREAKER__RETRY__MAX_ATTEMPTS', 'breaker.retry.maxAttempts'],
    ['ORCHESTRA_PHASES__CORE_INFRASTRUCTURE__SERVICES', 'phases.coreInfrastructure.services'],
    ['ORCHESTRA_GCP__ENDPOINT_OVERRIDES__RUN', 'gcp.endpointOverrides.run'],
    ['ORCHESTRA_VALIDATION__TARGETS__MEMORY_READ_MS', 'validation.targets.memoryReadMs'],
  ];
  for (const [name, dotted] of RULE) {
    it(`${name} <-> ${dotted}`, () => {
      assert.equal(envNameToPath(name)?.join('.'), dotted);
      assert.equal(pathToEnvName(dotted.split('.')), name);
    });
  }

  it('coerces by the schema type: number, boolean, lists (JSON or commas), objects', () => {
    const layer = envLayerFrom({
      ORCHESTRA_MEMORY__TIMEOUT_MS: '1500',
      ORCHESTRA_BREAKER__SAMPLING_THRESHOLD: '0.25',
      ORCHESTRA_GCP__EMULATOR: 'yes',
      ORCHESTRA_PHASES__AI_CODING__ENABLED: 'off',
      ORCHESTRA_PHASES__AI_CODING__MEMBERS: 'user:a@example.com, group:b@example.com',
      ORCHESTRA_MEMORY__ARGS: '["-y", "@modelcontextprotocol/server-memory"]',
      ORCHESTRA_GCP__ENDPOINT_OVERRIDES: '{"run": "http://127.0.0.1:9000"}',
      ORCHESTRA_GCP__ENDPOINT_OVERRIDES__IAM: 'http://127.0.0.1:9001',
      ORCHESTRA_PROJECT_ID: '',
      OTHER_VARIABLE: 'ignored',
    });
    assert.deepEqual(layer.issues, []);
    assert.deepEqual(layer.values, {
      memory: { timeoutMs: 1500, args: ['-y', '@modelcontextprotocol/server-memory'] },
      breaker: { samplingThreshold: 0.25 },
      gcp: { emulator: true, endpointOverrides: { run: 'http://127.0.0.1:9000', iam: 'http://127.0.0.1:9001' } },
      phases: { aiCoding: { enabled: false, members: ['user:a@example.com', 'group:b@example.com'] } },
    });
    assert.equal(layer.sources.get('gcp.endpointOverrides'), 'ORCHESTRA_GCP__ENDPOINT_OVERRIDES');
  });

  it('reserved variables are not configuration paths', () => {
    const layer = envLayerFrom({
      ORCHESTRA_ENV: 'local',
      ORCHESTRA_CONFIG_DIR: 'x',
      ORCHESTRA_MEMORY_API_KEY: 'k',
      ORCHESTRA_CODE_SERVER_DIR: '/x',
    });
    assert.deepEqual(layer.issues, []);
    assert.deepEqual(layer.values, {});
  });

  it('an unknown path is an error naming the variable, with a suggestion', async () => {
    const ws = workspace();
    try {
      const issues = await issuesOf(() =>
        loadConfig({ dir: ws.dir, env: { ORCHESTRA_MEMORY_ENDPOINT: 'http://x:1' } }),
      );
      assert.equal(issues.length, 1);
      assert.equal(issues[0].source, 'ORCHESTRA_MEMORY_ENDPOINT');
      assert.equal(issues[0].code, 'env-var');
      assert.match(issues[0].fix, /Did you mean ORCHESTRA_MEMORY__ENDPOINT\?/);
    } finally {
      ws.cleanup();
    }
  });

  it('values that break the schema are errors naming the variable', async () => {
    const ws = workspace();
    try {
      const issues = await issuesOf(() =>
        loadConfig({ dir: ws.dir, env: { ORCHESTRA_MEMORY__TIMEOUT_MS: '-5', ORCHESTRA_LOCATION: 'mars' } }),
      );
      assert.deepEqual(
        issues.map((i) => [i.source, i.path, i.message]),
        [
          ['ORCHESTRA_LOCATION', 'location', 'the string "mars" is not a Google Cloud region'],
          ['ORCHESTRA_MEMORY__TIMEOUT_MS', 'memory.timeoutMs', '-5 is too small: the minimum is 1'],
        ],
      );
    } finally {
      ws.cleanup();
    }
  });
});

describe('editor settings layer', () => {
  it('maps the seven settings, dropping unset ones', () => {
    const values: Record<string, unknown> = {
      'orchestra.projectId': 'my-project-1',
      'orchestra.location': '',
      'orchestra.memory.endpoint': 'http://127.0.0.1:8765',
      'orchestra.memory.targetEndpoint': 'https://memory.example.run.app',
      'orchestra.gcp.endpointOverrides': { run: 'http://127.0.0.1:8085' },
      'orchestra.gcp.emulator': true,
      'orchestra.logLevel': 'debug',
      'orchestra.somethingElse': 'x',
    };
    assert.deepEqual(
      settingsLayerFrom((key) => values[key]),
      {
        projectId: 'my-project-1',
        memory: { endpoint: 'http://127.0.0.1:8765' },
        phases: { memorySystem: { targetEndpoint: 'https://memory.example.run.app' } },
        gcp: { endpointOverrides: { run: 'http://127.0.0.1:8085' }, emulator: true },
        log: { level: 'debug' },
      },
    );
    assert.deepEqual(
      settingsLayerFrom(() => undefined),
      {},
    );
  });

  it('explicitSettingValue keeps what the user set, most specific scope first', () => {
    assert.equal(explicitSettingValue({ globalValue: 'a', workspaceValue: 'b', workspaceFolderValue: 'c' }), 'c');
    assert.equal(explicitSettingValue({ globalValue: 'a', workspaceValue: 'b' }), 'b');
    assert.equal(explicitSettingValue({ globalValue: 'a', workspaceValue: 'b' }, false), 'a');
    assert.equal(explicitSettingValue({}), undefined);
  });

  it('settings values are attributed to their setting id', async () => {
    const ws = workspace();
    try {
      const r = await loadConfig({
        dir: ws.dir,
        env: {},
        settings: settingsLayerFrom((k) =>
          k === 'orchestra.gcp.endpointOverrides' ? { run: 'http://127.0.0.1:1' } : undefined,
        ),
      });
      assert.deepEqual(r.provenance('gcp.endpointOverrides.run'), {
        layer: 'settings',
        source: 'orchestra.gcp.endpointOverrides',
      });
    } finally {
      ws.cleanup();
    }
  });

  it('bad settings are errors naming the setting; a key pasted into a setting is refused and masked', async () => {
    const ws = workspace();
    const key = 'AIzaSyD3adB33fC0ffee0123456789abcdefghij';
    try {
      const issues = await issuesOf(() =>
        loadConfig({ dir: ws.dir, env: {}, settings: { projectId: 'Bad Project', memory: { endpoint: key } } }),
      );
      assert.deepEqual(
        issues.map((i) => [i.layer, i.source, i.path, i.code]),
        [
          ['settings', 'orchestra.memory.endpoint', 'memory.endpoint', 'secret'],
          ['settings', 'orchestra.projectId', 'projectId', 'schema'],
        ],
      );
      assert.ok(
        issues.every((i) => !JSON.stringify(i).includes(key)),
        'the key never appears',
      );
    } finally {
      ws.cleanup();
    }
  });
});

describe('semantic checks and requireProject', () => {
  it('maxDelayMs below initialDelayMs is reported where it was set', async () => {
    const ws = workspace({
      'config/common.json': '{\n  "breaker": {\n    "retry": { "initialDelayMs": 5000 }\n  }\n}\n',
    });
    try {
      const [issue] = await issuesOf(() => loadConfig({ dir: ws.dir, env: {} }));
      assert.equal(issue.code, 'semantic');
      assert.equal(issue.path, 'breaker.retry.maxDelayMs');
      assert.equal(issue.layer, 'defaults');
      assert.match(issue.message, /maxDelayMs \(2000\) is lower than initialDelayMs \(5000\)/);
    } finally {
      ws.cleanup();
    }
  });

  it('requireProject explains where to set projectId', () => {
    assert.equal(requireProject({ projectId: 'my-project-1' }), 'my-project-1');
    assert.throws(
      () => requireProject({ projectId: '' }, { GOOGLE_CLOUD_PROJECT: 'gcloud-proj' }),
      (e: unknown) => e instanceof InputError && /ORCHESTRA_PROJECT_ID=gcloud-proj/.test(e.fix ?? ''),
    );
  });
});
