import * as assert from 'node:assert/strict';
import {
  emulatorOverrideEnv,
  emulatorOverrides,
  GCP_APIS,
  normalizeOverride,
  resolveEndpoint,
  withEmulatorDefaults,
} from '../../../src/core/gcp/endpoints';
import { InputError } from '../../../src/core/errors';

describe('gcp endpoints', () => {
  it('uses the real Google host without overrides', () => {
    assert.deepEqual(resolveEndpoint('run', { endpointOverrides: {} }, {}), {
      base: 'https://run.googleapis.com',
      source: 'google',
    });
    assert.equal(resolveEndpoint('storage', { endpointOverrides: {} }, {}).base, 'https://storage.googleapis.com');
  });

  it("normalises gcloud's override forms (trailing slash, version path)", () => {
    assert.equal(normalizeOverride('http://127.0.0.1:8085/'), 'http://127.0.0.1:8085');
    assert.equal(normalizeOverride('http://127.0.0.1:8085/v1/'), 'http://127.0.0.1:8085');
    assert.equal(normalizeOverride('http://127.0.0.1:8085/v2'), 'http://127.0.0.1:8085');
    assert.equal(normalizeOverride('https://storage.googleapis.com/storage/v1/'), 'https://storage.googleapis.com');
    assert.equal(normalizeOverride('https://proxy.corp/google/v1beta1/'), 'https://proxy.corp/google');
    assert.throws(() => normalizeOverride('not a url'), InputError);
    assert.throws(() => normalizeOverride('ftp://x/'), InputError);
  });

  it('takes config overrides first, then CLOUDSDK_API_ENDPOINT_OVERRIDES_<API>', () => {
    const env = {
      CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN: 'http://127.0.0.1:9/v2/',
      CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM: 'http://127.0.0.1:7/',
    };
    assert.deepEqual(resolveEndpoint('run', { endpointOverrides: { run: 'http://127.0.0.1:8/' } }, env), {
      base: 'http://127.0.0.1:8',
      source: 'config',
    });
    assert.deepEqual(resolveEndpoint('iam', { endpointOverrides: {} }, env), {
      base: 'http://127.0.0.1:7',
      source: 'env',
    });
    assert.throws(
      () => resolveEndpoint('iam', { endpointOverrides: {} }, { CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM: '::' }),
      (e: unknown) => e instanceof InputError && e.where === 'CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM',
    );
  });

  it('points every API at one emulator, each at a base naming it (storage: its paths name it)', () => {
    const o = emulatorOverrides('http://127.0.0.1:8085/');
    assert.deepEqual(Object.keys(o).sort(), [...GCP_APIS].sort());
    for (const api of GCP_APIS)
      assert.equal(o[api], api === 'storage' ? 'http://127.0.0.1:8085' : `http://127.0.0.1:8085/${api}`, api);
    const env = emulatorOverrideEnv('http://127.0.0.1:8085');
    assert.equal(env.CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE, 'http://127.0.0.1:8085/storage/v1/');
    assert.equal(env.CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN, 'http://127.0.0.1:8085/run/');
    assert.equal(env.CLOUDSDK_API_ENDPOINT_OVERRIDES_ALLOYDB, 'http://127.0.0.1:8085/alloydb/');
  });

  it('in emulator mode sends every API without its own override to the emulator (at its own base, as gcloud), never to Google', () => {
    const gcp = withEmulatorDefaults(
      { emulator: true, endpointOverrides: { run: 'http://127.0.0.1:9000' } },
      'http://localhost:8085',
      { CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM: 'http://127.0.0.1:9001/' },
    );
    const env = { CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM: 'http://127.0.0.1:9001/' };
    assert.equal(resolveEndpoint('run', gcp, env).base, 'http://127.0.0.1:9000');
    assert.equal(resolveEndpoint('iam', gcp, env).base, 'http://127.0.0.1:9001');
    for (const api of GCP_APIS.filter((a) => a !== 'run' && a !== 'iam')) {
      // Each API's base names it, as its own host does on Google; storage's paths name it already.
      const expected = api === 'storage' ? 'http://localhost:8085' : `http://localhost:8085/${api}`;
      assert.equal(resolveEndpoint(api, gcp, env).base, expected, api);
    }
  });

  it('leaves a real (non-emulator) configuration untouched', () => {
    const gcp = { emulator: false, endpointOverrides: {} };
    assert.equal(withEmulatorDefaults(gcp, 'http://localhost:8085', {}), gcp);
    assert.equal(resolveEndpoint('run', gcp, {}).base, 'https://run.googleapis.com');
  });
});
