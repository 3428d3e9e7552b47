import * as assert from 'node:assert/strict';
import { defaultConfig } from '../../../src/core/config/defaults';
import { getEndpoint, resolveEndpoint } from '../../../src/core/config/endpoints';
import { loadConfig } from '../../../src/core/config/load';
import type { EnvironmentKind, OrchestraConfig, ServiceName } from '../../../src/core/config/types';
import { InputError } from '../../../src/core/errors';
import { workspace } from './helpers';

const codespaceEnv = {
  CODESPACE_NAME: 'fluffy-eureka-7x9',
  GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN: 'app.github.dev',
};
const workstationEnv = { WEB_HOST: 'ws-dev.cluster-abc123.cloudworkstations.dev' };

function config(patch: (c: OrchestraConfig) => void = () => undefined): OrchestraConfig {
  const c = defaultConfig();
  patch(c);
  return c;
}

interface Case {
  name: string;
  kind: EnvironmentKind;
  service: ServiceName;
  env?: NodeJS.ProcessEnv;
  config?: OrchestraConfig;
  url: string;
  rule: RegExp;
}

const CASES: Case[] = [
  { name: 'local memory', kind: 'local', service: 'memory', url: 'http://localhost:8765', rule: /^local:/ },
  { name: 'local api', kind: 'local', service: 'api', url: 'http://localhost:8080', rule: /^local:/ },
  { name: 'local emulator', kind: 'local', service: 'gcpEmulator', url: 'http://localhost:8085', rule: /^local:/ },
  {
    name: 'local uses the port table',
    kind: 'local',
    service: 'api',
    config: config((c) => (c.ports.api = 9090)),
    url: 'http://localhost:9090',
    rule: /ports\.api/,
  },
  {
    name: 'Codespaces forwarded URL',
    kind: 'codespaces',
    service: 'memory',
    env: codespaceEnv,
    url: 'https://fluffy-eureka-7x9-8765.app.github.dev',
    rule: /^codespaces:/,
  },
  {
    name: 'Codespaces with another forwarding domain',
    kind: 'codespaces',
    service: 'api',
    env: { CODESPACE_NAME: 'cs', GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN: 'preview.app.github.dev' },
    url: 'https://cs-8080.preview.app.github.dev',
    rule: /^codespaces:/,
  },
  {
    name: 'Codespaces without the domain variable: GitHub default',
    kind: 'codespaces',
    service: 'api',
    env: { CODESPACE_NAME: 'cs' },
    url: 'https://cs-8080.app.github.dev',
    rule: /^codespaces:/,
  },
  {
    name: 'Workstation URL',
    kind: 'workstation',
    service: 'memory',
    env: workstationEnv,
    url: 'https://8765-ws-dev.cluster-abc123.cloudworkstations.dev',
    rule: /^workstation:/,
  },
  {
    name: 'Workstation api',
    kind: 'workstation',
    service: 'api',
    env: workstationEnv,
    url: 'https://8080-ws-dev.cluster-abc123.cloudworkstations.dev',
    rule: /^workstation:/,
  },
  {
    name: 'cloud_run: the recorded service URL',
    kind: 'cloud_run',
    service: 'api',
    config: config((c) => (c.endpoints.api = 'https://orchestra-api-abc123-uc.a.run.app')),
    url: 'https://orchestra-api-abc123-uc.a.run.app',
    rule: /^endpoints\.api$/,
  },
  {
    name: 'an explicit endpoint wins in every environment',
    kind: 'codespaces',
    service: 'api',
    env: codespaceEnv,
    config: config((c) => (c.endpoints.api = 'http://10.0.0.5:8080')),
    url: 'http://10.0.0.5:8080',
    rule: /^endpoints\.api$/,
  },
  {
    name: 'memory.endpoint wins over endpoints.memory',
    kind: 'local',
    service: 'memory',
    config: config((c) => {
      c.endpoints.memory = 'http://a:1';
      c.memory.endpoint = 'http://b:2';
    }),
    url: 'http://b:2',
    rule: /^memory\.endpoint$/,
  },
];

describe('getEndpoint', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const resolution = resolveEndpoint(c.config ?? config(), c.kind, c.service, c.env ?? {});
      assert.equal(resolution.url, c.url);
      assert.match(resolution.rule, c.rule);
    });
  }

  const FAILURES: {
    name: string;
    kind: EnvironmentKind;
    service: string;
    env?: NodeJS.ProcessEnv;
    message: RegExp;
    fix: RegExp;
  }[] = [
    {
      name: 'unknown service lists the known ones',
      kind: 'local',
      service: 'databse',
      message: /^Unknown service 'databse'\. Known services: memory, api, gcpEmulator\.$/,
      fix: /memory, api, gcpEmulator/,
    },
    {
      name: 'Codespaces without CODESPACE_NAME',
      kind: 'codespaces',
      service: 'api',
      message: /CODESPACE_NAME is not set/,
      fix: /config\/codespaces\.json/,
    },
    {
      name: 'Workstation without WEB_HOST',
      kind: 'workstation',
      service: 'api',
      message: /WEB_HOST is not set/,
      fix: /config\/workstation\.json/,
    },
    {
      name: 'cloud_run without a recorded URL',
      kind: 'cloud_run',
      service: 'api',
      message: /No endpoint for 'api' in cloud_run/,
      fix: /API Deployment phase records endpoints\.api/,
    },
    {
      name: 'cloud_run memory without a URL',
      kind: 'cloud_run',
      service: 'memory',
      message: /No endpoint for 'memory'/,
      fix: /memory\.endpoint/,
    },
  ];
  for (const f of FAILURES) {
    it(`error: ${f.name}`, () => {
      assert.throws(
        () => resolveEndpoint(config(), f.kind, f.service, f.env ?? {}),
        (e: unknown) => e instanceof InputError && f.message.test(e.message) && f.fix.test(e.fix ?? ''),
      );
    });
  }

  it('works on a ResolvedConfig, as a function and as a method', async () => {
    const ws = workspace({ 'config/workstation.json': { ports: { api: 3000 } } });
    try {
      const env = { GOOGLE_CLOUD_WORKSTATIONS: 'true', ...workstationEnv };
      const resolved = await loadConfig({ dir: ws.dir, env });
      assert.equal(getEndpoint(resolved, 'api', env), 'https://3000-ws-dev.cluster-abc123.cloudworkstations.dev');
      assert.equal(resolved.endpoint('api'), 'https://3000-ws-dev.cluster-abc123.cloudworkstations.dev');
    } finally {
      ws.cleanup();
    }
  });
});
