/**
 * What gcloud reads back, in Google's shapes: Knative v1 secret env vars and revisions,
 * 'locations/-' lists, operations lists, Storage object lists, Cloud Build builds.
 */
import * as assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import type { GcpEmulator } from '../../../src/sandbox/gcp';
import { caller, pushImage, withEmulator } from './helpers';

const P = 'readback-project';
const L = 'us-central1';
const IMAGE = `${L}-docker.pkg.dev/${P}/orchestra/api:1`;

/** A one-file ustar archive, as the product packs one. */
function tarball(name: string, text: string): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write('0000644\0', 100);
  header.write(text.length.toString(8).padStart(11, '0') + '\0', 124);
  header.write('0', 156);
  header.write('ustar\0' + '00', 257);
  const body = Buffer.alloc(Math.ceil(text.length / 512) * 512);
  body.write(text);
  return gzipSync(Buffer.concat([header, body, Buffer.alloc(1024)]));
}

describe('emulator: what gcloud reads back', () => {
  let emu: GcpEmulator;
  const call = caller(() => emu);
  const upload = (bucket: string, name: string, data: Buffer) =>
    fetch(`${emu.url}/upload/storage/v1/b/${bucket}/o?uploadType=media&name=${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-token', 'content-type': 'application/gzip' },
      body: new Uint8Array(data),
    });

  before(async () => {
    emu = await withEmulator({ projects: [P] });
    await call('POST', `/v1/projects/${P}/services:batchEnable`, {
      serviceIds: ['run.googleapis.com', 'artifactregistry.googleapis.com', 'cloudbuild.googleapis.com'],
    });
    await call('POST', `/v1/projects/${P}/locations/${L}/repositories?repositoryId=orchestra`, { format: 'DOCKER' });
    await call('POST', `/storage/v1/b?project=${P}`, { name: `${P}-bucket` });
  });
  after(() => emu.close());

  it('Knative v1 shows a secret env var as valueFrom.secretKeyRef {name, key}, and serves the revision it routes to', async () => {
    await pushImage(emu, IMAGE);
    const env = [
      { name: 'PLAIN', value: 'x' },
      { name: 'ORCHESTRA_CONFIG', valueSource: { secretKeyRef: { secret: 'orchestra-config', version: 'latest' } } },
    ];
    await call('POST', `/v2/projects/${P}/locations/${L}/services?serviceId=api`, {
      template: { containers: [{ image: IMAGE, env }] },
    });
    const v1 = (await call('GET', `/apis/serving.knative.dev/v1/namespaces/${P}/services/api`)).json as {
      spec: { template: { spec: { containers: Array<{ env: unknown[] }> } } };
      status: { latestReadyRevisionName: string; traffic: Array<{ revisionName: string }> };
    };
    assert.deepEqual(v1.spec.template.spec.containers[0].env, [
      { name: 'PLAIN', value: 'x' },
      { name: 'ORCHESTRA_CONFIG', valueFrom: { secretKeyRef: { name: 'orchestra-config', key: 'latest' } } },
    ]);
    const revision = v1.status.latestReadyRevisionName;
    assert.equal(v1.status.traffic[0].revisionName, revision, 'the route serves the latest ready revision');
    const described = await call('GET', `/apis/serving.knative.dev/v1/namespaces/${P}/revisions/${revision}`);
    assert.equal(described.status, 200);
    assert.equal(described.json.kind, 'Revision');
    assert.equal(
      (described.json.metadata as { labels: Record<string, string> }).labels['serving.knative.dev/service'],
      'api',
    );
    const v2 = await call('GET', `/v2/projects/${P}/locations/${L}/services/api/revisions/${revision}`);
    assert.equal((v2.json.conditions as Array<{ state: string }>)[0].state, 'CONDITION_SUCCEEDED');
  });

  it("lists across every location with 'locations/-' (v2 and the v1 services list gcloud uses without --region)", async () => {
    const v2 = await call('GET', `/v2/projects/${P}/locations/-/services`);
    assert.deepEqual(
      (v2.json.services as Array<{ name: string }>).map((s) => s.name),
      [`projects/${P}/locations/${L}/services/api`],
    );
    const v1 = await call('GET', `/v1/projects/${P}/locations/-/services`);
    assert.equal(v1.json.kind, 'ServiceList');
    assert.equal((v1.json.items as unknown[]).length, 1);
  });

  it('lists operations of a location, newest first', async () => {
    const ops = await call('GET', `/v1/projects/${P}/locations/${L}/operations`);
    const names = (ops.json.operations as Array<{ name: string; done: boolean }>).map((o) => o.name);
    assert.ok(names.length >= 1);
    assert.ok(names.every((n) => n.startsWith(`projects/${P}/locations/${L}/operations/`)));
    const run = await call('GET', `/v2/projects/${P}/locations/${L}/operations`);
    assert.ok((run.json.operations as unknown[]).length >= 1, 'the service create');
  });

  it('stores uploaded objects and lists them with prefixes, as gcloud storage ls asks', async () => {
    const bucket = `${P}-bucket`;
    const data = tarball('Dockerfile', 'FROM scratch\n');
    const uploaded = await upload(bucket, 'source/app.tar.gz', data);
    assert.equal(uploaded.status, 200);
    const meta = (await uploaded.json()) as { name: string; size: string; md5Hash: string; kind: string };
    assert.deepEqual([meta.kind, meta.name, meta.size], ['storage#object', 'source/app.tar.gz', String(data.length)]);
    const top = await call('GET', `/storage/v1/b/${bucket}/o?delimiter=/`);
    assert.deepEqual(top.json.prefixes, ['source/']);
    const inside = await call('GET', `/storage/v1/b/${bucket}/o?prefix=source/`);
    assert.deepEqual(
      (inside.json.items as Array<{ name: string }>).map((i) => i.name),
      ['source/app.tar.gz'],
    );
    const media = await fetch(
      `${emu.url}/storage/v1/b/${bucket}/o/${encodeURIComponent('source/app.tar.gz')}?alt=media`,
      {
        headers: { authorization: 'Bearer test-token' },
      },
    );
    assert.deepEqual(Buffer.from(await media.arrayBuffer()), data);
  });

  it('Cloud Build builds a source with a Dockerfile and pushes by digest; one without fails with the reason', async () => {
    const bucket = `${P}-bucket`;
    await upload(bucket, 'good.tar.gz', tarball('Dockerfile', 'FROM scratch\n'));
    await upload(bucket, 'bad.tar.gz', tarball('README.md', 'no dockerfile\n'));
    const build = (object: string, image: string) =>
      call('POST', `/v1/projects/${P}/locations/${L}/builds`, {
        source: { storageSource: { bucket, object } },
        steps: [{ name: 'gcr.io/cloud-builders/docker', args: ['build', '-t', image, '.'] }],
        images: [image],
        logsBucket: `gs://${bucket}`,
      });
    const good = await build('good.tar.gz', `${L}-docker.pkg.dev/${P}/orchestra/built:v1`);
    assert.equal(good.status, 200);
    const meta = good.json.metadata as { '@type': string; build: { id: string; logUrl: string } };
    assert.equal(meta['@type'], 'type.googleapis.com/google.devtools.cloudbuild.v1.BuildOperationMetadata');
    const done = await call('GET', `/v1/${String(good.json.name)}`);
    const result = done.json.response as {
      status: string;
      results: { images: Array<{ name: string; digest: string }> };
    };
    assert.equal(result.status, 'SUCCESS');
    assert.match(result.results.images[0].digest, /^sha256:[0-9a-f]{64}$/);
    const images = await call('GET', `/v1/projects/${P}/locations/${L}/repositories/orchestra/dockerImages`);
    assert.ok(
      (images.json.dockerImages as Array<{ uri: string }>).some((i) =>
        i.uri.endsWith(`/built@${result.results.images[0].digest}`),
      ),
    );
    const log = await call('GET', `/storage/v1/b/${bucket}/o/log-${meta.build.id}.txt`);
    assert.equal(log.status, 200, 'the log is in the logs bucket');

    const bad = await build('bad.tar.gz', `${L}-docker.pkg.dev/${P}/orchestra/broken:v1`);
    const failed = await call('GET', `/v1/${String(bad.json.name)}`);
    assert.equal((failed.json.error as { code: number }).code, 2);
    assert.match((failed.json.error as { message: string }).message, /Build failed.*Dockerfile/);
  });
});
