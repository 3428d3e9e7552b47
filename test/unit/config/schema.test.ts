import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { defaultConfig } from '../../../src/core/config/defaults';
import { formatJson } from '../../../src/core/config/json-format';
import {
  declaredLeafPaths,
  deref,
  schemaAt,
  SCHEMA,
  validateLayer,
  validateResolved,
  type JsonSchema,
} from '../../../src/core/config/schema';
import { findSecretInValue, isSecretKeyName } from '../../../src/core/config/secrets';
import { getAt } from '../../../src/core/config/paths';

describe('the JSON Schema', () => {
  it('accepts the built-in defaults, as a layer and as a resolved configuration', () => {
    assert.deepEqual(validateLayer(defaultConfig()), []);
    assert.deepEqual(validateResolved(defaultConfig()), []);
  });

  it('requires every field of the resolved configuration', () => {
    const c = defaultConfig() as unknown as Record<string, unknown>;
    delete c.memory;
    const errors = validateResolved(c);
    assert.deepEqual(
      errors.map((e) => [e.keyword, e.params]),
      [['required', { missingProperty: 'memory' }]],
    );
  });

  it('requires nothing of a single layer (files are partial)', () => {
    assert.deepEqual(validateLayer({}), []);
    assert.deepEqual(validateLayer({ memory: { timeoutMs: 10 } }), []);
  });

  it('rejects unknown keys everywhere', () => {
    for (const layer of [
      { x: 1 },
      { memory: { x: 1 } },
      { phases: { aiCoding: { x: 1 } } },
      { breaker: { retry: { x: 1 } } },
    ]) {
      assert.equal(validateLayer(layer)[0]?.keyword, 'additionalProperties', JSON.stringify(layer));
    }
  });

  it('documents every setting (description for hover help) and its default matches the built-in one', () => {
    const defaults = defaultConfig();
    for (const leaf of declaredLeafPaths()) {
      const node = schemaAt(leaf) as JsonSchema;
      assert.ok(node.description && node.description.length > 10, `${leaf.join('.')} has no description`);
      const builtIn = getAt(defaults, leaf);
      if (
        builtIn !== undefined &&
        !(typeof builtIn === 'object' && !Array.isArray(builtIn) && Object.keys(builtIn as object).length === 0)
      ) {
        assert.deepEqual(node.default, builtIn, `${leaf.join('.')}: schema default differs from defaults.ts`);
      }
    }
  });

  it('every object declares additionalProperties', () => {
    const walk = (node: JsonSchema | undefined, at: string) => {
      const n = deref(node);
      if (n?.type !== 'object') return;
      assert.ok(n.additionalProperties !== undefined, `${at} lets unknown keys through`);
      for (const [k, child] of Object.entries(n.properties ?? {})) walk(child, `${at}.${k}`);
    };
    walk(SCHEMA, '(root)');
  });

  const PROJECT_IDS: [string, boolean][] = [
    ['', true],
    ['my-project', true],
    ['orchestra-prod-123456', true],
    ['a12345', true],
    ['abcde', false], // 5 characters
    ['a'.repeat(31), false],
    ['My-Project', false],
    ['1project', false],
    ['my-project-', false],
    ['my_project', false],
  ];
  for (const [id, ok] of PROJECT_IDS) {
    it(`project ID ${JSON.stringify(id)} is ${ok ? 'valid' : 'invalid'}`, () => {
      assert.equal(validateLayer({ projectId: id }).length === 0, ok);
    });
  }

  const REGIONS: [string, boolean][] = [
    ['us-central1', true],
    ['europe-west4', true],
    ['northamerica-northeast1', true],
    ['us-central1-a', false],
    ['us', false],
    ['US-CENTRAL1', false],
  ];
  for (const [region, ok] of REGIONS) {
    it(`region ${region} is ${ok ? 'valid' : 'invalid'}`, () =>
      assert.equal(validateLayer({ location: region }).length === 0, ok));
  }

  it('the schema file is formatted as init writes it', () => {
    const text = readFileSync(path.resolve(__dirname, '../../../config/schema/orchestra.schema.json'), 'utf8');
    assert.equal(formatJson(JSON.parse(text)), text);
  });
});

describe('secret detection', () => {
  const NAMES: [string, boolean][] = [
    ['apiKey', true],
    ['api_key', true],
    ['API-KEY', true],
    ['clientSecret', true],
    ['refreshToken', true],
    ['password', true],
    ['privateKey', true],
    ['private_key', true],
    ['credentials', true],
    ['secretId', true], // the schema declares it, so files may use it: checked in context
    ['secretmanager', false],
    ['tokenizer', false],
    ['keyFile', false],
    ['timeoutMs', false],
  ];
  for (const [name, secret] of NAMES) {
    it(`key ${name}: ${secret ? 'a secret name' : 'fine'}`, () => assert.equal(isSecretKeyName(name), secret));
  }

  const VALUES: [string, string | undefined][] = [
    ['AIzaSyD3adB33fC0ffee0123456789abcdefghi', 'a Google API key'],
    ['ya29.a0AfH6SMBx3kL9mQ2vR8tY1wZ5pN7cD4eF6gH0jK', 'a Google OAuth access token'],
    ['1//0gXyZabcdefghijklmnopqrstuvwxyz', 'a Google OAuth refresh token'],
    ['-----BEGIN RSA PRIVATE KEY-----\nMIIE...', 'a private key (PEM)'],
    ['ghp_16C7e42F292c6912E7710c838347Ae178B4a', 'a GitHub token'],
    ['github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz', 'a GitHub token'],
    ['sk-proj-abcdefghijklmnopqrstuvwx1234', 'an API key (sk-…)'],
    ['eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2lnbmF0dXJl', 'a JSON Web Token'],
    ['https://user:pass@example.com', 'a URL with a user name and password'],
    ['https://example.com/api?key=abcdef123456', 'a URL with a key or token in its query'],
    ['q8Zr2LmP0xVb7NcT4eYw1KsJ9hUa3GdF6iRo5XzQ', 'a long random string (a key or token)'],
    ['0f3a9c2e7b1d4f6a8c0e2b4d6f8a0c2e4b6d8f0a', 'a long random string (a key or token)'],
    // Not secrets:
    ['us-central1-docker.pkg.dev/cloud-workstations-images/predefined/code-oss:latest', undefined],
    ['orchestra-api@sha256:' + 'a1b2c3d4e5f6'.repeat(5) + 'a1b2', undefined],
    ['http://localhost:8765', undefined],
    ['https://orchestra-api-abc123-uc.a.run.app', undefined],
    ['123e4567-e89b-12d3-a456-426614174000', undefined],
    ['.orchestra/outbox', undefined],
    ['@modelcontextprotocol/server-memory', undefined],
    ['orchestra-runtime@my-project.iam.gserviceaccount.com', undefined],
    ['roles/secretmanager.secretAccessor', undefined],
    ['/Users/AnaSmith/Projects/orchestra-memory/data2024', undefined],
    ['C:\\Users\\AnaSmith\\Projects\\OrchestraMemory2024\\data', undefined],
    ['orchestra-api:3f2a9c0e7b1d4f6a8c0e2b4d6f8a0c2e4b6d8f0a', undefined],
    [
      'us-central1-docker.pkg.dev/my-project/orchestra/orchestra-api:3f2a9c0e7b1d4f6a8c0e2b4d6f8a0c2e4b6d8f0a',
      undefined,
    ],
    ['https://memory.example.com/v1/q8Zr2LmP0xVb7NcT4eYw1KsJ9hUa3GdF6iRo5XzQ', 'a long random string (a key or token)'],
  ];
  for (const [value, kind] of VALUES) {
    it(`${kind ?? 'not a secret'}: ${value.slice(0, 30)}`, () => {
      const found = findSecretInValue(value);
      assert.equal(found?.kind, kind);
      if (found) assert.ok(!found.masked.includes(value.slice(6, 16)), 'the mask hides the value');
    });
  }
});
