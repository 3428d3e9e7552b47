import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ErrorObject } from 'ajv';
import { parse, type ParseError } from 'jsonc-parser';
import { defaultConfig } from '../../../src/core/config/defaults';
import { createSchemaAjv, RESOLVED_REF, SCHEMA_ID } from '../../../src/core/config/schema-ajv';
import { validateLayer, validateResolved } from '../../../src/core/config/schema';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import {
  currentCode,
  GENERATED_FILE,
  generatedCode,
  STATE_GENERATED_FILE,
  stateGeneratedCode,
} from '../../../scripts/gen-schema-validators';
import { builtInPhases } from '../../../src/core/migration/phases';
import { emptyState } from '../../../src/core/migration/state';
import {
  STATE_AJV_OPTIONS,
  STATE_FORMATS,
  STATE_SCHEMA_V1,
  STATE_SCHEMA_V2,
} from '../../../src/core/migration/state-schema';
import { validateStateV1, validateStateV2 } from '../../../src/core/migration/state-validators.generated';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'config');

/** Every config file under test/fixtures/config that parses (JSONC as the loader reads it); broken syntax is the parser's business. */
function fixtures(): { name: string; value: unknown }[] {
  const out: { name: string; value: unknown }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.json') && entry.name !== 'case.json') {
        const errors: ParseError[] = [];
        const value: unknown = parse(readFileSync(file, 'utf8'), errors, { allowTrailingComma: true });
        if (errors.length === 0 && value !== undefined) out.push({ name: path.relative(FIXTURES, file), value });
      }
    }
  };
  walk(FIXTURES);
  return out;
}

/** What the messages are built from, without the schema objects' identity. */
function comparable(errors: readonly ErrorObject[]): unknown[] {
  return errors.map((e) => ({
    instancePath: e.instancePath,
    schemaPath: e.schemaPath,
    keyword: e.keyword,
    params: e.params,
    message: e.message,
    data: e.data,
    parentSchema: e.parentSchema,
  }));
}

describe('the schema validators generated at build time (Ajv standalone)', () => {
  const ajv = createSchemaAjv();
  const runtimeLayer = ajv.getSchema(SCHEMA_ID)!;
  const runtimeResolved = ajv.getSchema(RESOLVED_REF)!;
  const runtime = (validate: typeof runtimeLayer, value: unknown) => (validate(value) ? [] : [...validate.errors!]);

  it('the generated module is what the schema generates now (regenerated before the tests when stale)', () => {
    assert.equal(currentCode(), generatedCode(), `${GENERATED_FILE} is out of date`);
  });

  it('agree with validators compiled at run time on every config fixture, as a layer and resolved', () => {
    const cases = fixtures();
    assert.ok(cases.length >= 20, `fixtures found: ${cases.map((c) => c.name).join(', ')}`);
    let invalid = 0;
    for (const { name, value } of cases) {
      const layer = validateLayer(value);
      assert.deepEqual(comparable(layer), comparable(runtime(runtimeLayer, value)), `${name} as a layer`);
      assert.deepEqual(
        comparable(validateResolved(value)),
        comparable(runtime(runtimeResolved, value)),
        `${name} resolved`,
      );
      if (layer.length) invalid++;
    }
    assert.ok(invalid > 0, 'some fixture is invalid, so errors are compared too');
  });

  it('agree on hand-made mistakes of every kind (type, enum, range, pattern, format, unknown key, missing)', () => {
    const broken: unknown[] = [
      { projectId: 42 },
      { memory: { transport: 'carrier-pigeon' } },
      { breaker: { failureThreshold: 0, samplingThreshold: 2 } },
      { projectId: 'Not A Project' },
      { endpoints: { memory: 'not a url' } },
      { phases: { aiCoding: { members: ['not-an-email'] } } },
      { colour: 'blue', memory: { poolSize: 'many' } },
      (() => {
        const c = defaultConfig() as unknown as Record<string, unknown>;
        delete c.memory;
        return c;
      })(),
    ];
    for (const value of broken) {
      const layer = validateLayer(value);
      const resolved = validateResolved(value);
      assert.ok(layer.length + resolved.length > 0, `${JSON.stringify(value)} is refused`);
      assert.deepEqual(comparable(layer), comparable(runtime(runtimeLayer, value)), JSON.stringify(value));
      assert.deepEqual(comparable(resolved), comparable(runtime(runtimeResolved, value)), JSON.stringify(value));
    }
  });

  it('the generated code needs only Ajv runtime helpers, not its compiler', () => {
    const required = [...generatedCode().matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    assert.ok(required.length > 0);
    for (const id of required) assert.match(id, /^(ajv\/dist\/runtime\/|ajv-formats\/dist\/formats$)/, id);
  });
});

describe('the state file validators generated at build time (Ajv standalone)', () => {
  const ajv = new Ajv({ ...STATE_AJV_OPTIONS });
  addFormats(ajv, [...STATE_FORMATS]);
  const runtimeV1 = ajv.compile(STATE_SCHEMA_V1);
  const runtimeV2 = ajv.compile(STATE_SCHEMA_V2);
  const errorsOf = (validate: (d: unknown) => boolean, errors: () => ErrorObject[] | null | undefined, d: unknown) =>
    validate(d) ? [] : comparable(errors() ?? []);

  it('the generated module is what the state schema generates now', () => {
    const text = readFileSync(STATE_GENERATED_FILE, 'utf8');
    assert.equal(text.slice(text.indexOf('\n') + 1), stateGeneratedCode(), `${STATE_GENERATED_FILE} is out of date`);
  });

  it('agree with a run-time compile on a valid state and on broken ones', () => {
    const phaseIds = builtInPhases()
      .infos()
      .map((p) => p.id);
    const valid = JSON.parse(JSON.stringify(emptyState('demo-project', new Date(0), phaseIds))) as Record<
      string,
      unknown
    >;
    const phases = valid.phases as Record<string, Record<string, unknown>>;
    const first = Object.keys(phases)[0];
    const cases: unknown[] = [
      valid,
      { ...valid, schemaVersion: 'two' },
      { ...valid, phases: { ...phases, [first]: { ...phases[first], status: 'exploded' } } },
      { ...valid, createdAt: 'yesterday' },
      { ...valid, surprise: '<script>' },
    ];
    let refused = 0;
    for (const doc of cases) {
      const generated = errorsOf(validateStateV2, () => validateStateV2.errors, doc);
      assert.deepEqual(
        generated,
        errorsOf(runtimeV2, () => runtimeV2.errors, doc),
        JSON.stringify(doc).slice(0, 80),
      );
      if (generated.length) refused++;
    }
    assert.equal(refused, cases.length - 1, 'every broken state is refused, the valid one accepted');
    const v1 = { schemaVersion: 1, createdAt: '2026-01-01T00:00:00.000Z', phases: [{ id: first, status: 'nope' }] };
    assert.deepEqual(
      errorsOf(validateStateV1, () => validateStateV1.errors, v1),
      errorsOf(runtimeV1, () => runtimeV1.errors, v1),
    );
    assert.ok(!validateStateV1(v1));
  });
});
