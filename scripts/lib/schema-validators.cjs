// Makes sure src/core/config/schema-validators.generated.js and
// src/core/migration/state-validators.generated.js (Ajv standalone code, git-ignored) exist and
// match their schemas: regenerated when missing or when the inputs' hash in the first line differs. Called by esbuild.js, the benchmarks and mocha
// (.mocharc.json), so a fresh clone builds and tests without a separate step.
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const SCHEMA = path.join(ROOT, 'config', 'schema', 'orchestra.schema.json');
const GENERATED = path.join(ROOT, 'src', 'core', 'config', 'schema-validators.generated.js');
const STATE_GENERATED = path.join(ROOT, 'src', 'core', 'migration', 'state-validators.generated.js');
const GENERATOR = path.join(ROOT, 'scripts', 'gen-schema-validators.ts');
// The state schema takes its enums from the engine's constants (catalog.ts), so those are inputs too.
const INPUTS = [
  SCHEMA,
  GENERATOR,
  path.join(ROOT, 'src', 'core', 'config', 'schema-ajv.ts'),
  path.join(ROOT, 'src', 'core', 'migration', 'state-schema.ts'),
  path.join(ROOT, 'src', 'core', 'migration', 'catalog.ts'),
];

function inputsHash() {
  const hash = createHash('sha256');
  for (const file of INPUTS) {
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

function firstLine(file) {
  try {
    return readFileSync(file, 'utf8').split('\n', 1)[0];
  } catch {
    return undefined;
  }
}

/** Regenerates when stale; returns true when it wrote the file. */
function ensureSchemaValidators() {
  const stamp = `// inputs ${inputsHash()}`;
  if (firstLine(GENERATED) === stamp && firstLine(STATE_GENERATED) === stamp) return false;
  const { require: tsxRequire } = require('tsx/cjs/api');
  tsxRequire(GENERATOR, __filename).writeGenerated(stamp);
  return true;
}

module.exports = { ensureSchemaValidators, GENERATED };

// As a mocha `require`: runs once before any test file loads.
if (process.argv.some((a) => /mocha/.test(a))) ensureSchemaValidators();
