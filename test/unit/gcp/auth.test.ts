import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { OAuth2Client } from 'google-auth-library';
import { createAdc, orchestraLoginFile } from '../../../src/core/gcp/auth';
import { createGcpClient } from '../../../src/core/gcp/client';
import { emulatorOverrides } from '../../../src/core/gcp/endpoints';
import { describeIdentity, preflightPermissions, resolveProjectId } from '../../../src/core/gcp/identity';
import type { GcpEmulator } from '../../../src/sandbox/gcp';
import { withEmulator } from '../sandbox-gcp/helpers';

describe('gcp auth and identity', () => {
  let dir: string;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let closedPort: number;

  before(async () => {
    closedPort = await new Promise<number>((resolve) => {
      const s = http.createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => resolve(port));
      });
    });
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcp-auth-'));
    home = path.join(dir, 'home');
    fs.mkdirSync(home);
    // A machine with nothing: no ADC file, no gcloud config, and a metadata server that refuses.
    env = { HOME: home, CLOUDSDK_CONFIG: path.join(dir, 'gcloud'), GCE_METADATA_HOST: `127.0.0.1:${closedPort}` };
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const keyFile = (extra: Record<string, unknown> = {}) => {
    const file = path.join(dir, 'key.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        type: 'service_account',
        project_id: 'key-project',
        client_email: 'deployer@key-project.iam.gserviceaccount.com',
        private_key: 'not-a-real-key',
        client_id: '1',
        ...extra,
      }),
    );
    return file;
  };

  it('takes the project from config, then ORCHESTRA_PROJECT_ID, then GOOGLE_CLOUD_PROJECT', async () => {
    const all = { ...env, ORCHESTRA_PROJECT_ID: 'orch', GOOGLE_CLOUD_PROJECT: 'gcp' };
    assert.deepEqual(await resolveProjectId({ configProjectId: 'cfg', env: all }), {
      projectId: 'cfg',
      source: 'config',
    });
    assert.deepEqual(await resolveProjectId({ env: all }), { projectId: 'orch', source: 'ORCHESTRA_PROJECT_ID' });
    assert.deepEqual(await resolveProjectId({ env: { ...env, GOOGLE_CLOUD_PROJECT: 'gcp' } }), {
      projectId: 'gcp',
      source: 'GOOGLE_CLOUD_PROJECT',
    });
  });

  it('reads the project from a credentials file quickly, without a network call', async () => {
    const t = performance.now();
    const r = await resolveProjectId({ env: { ...env, GOOGLE_APPLICATION_CREDENTIALS: keyFile() } });
    assert.deepEqual(r, { projectId: 'key-project', source: 'credentials-file' });
    assert.ok(performance.now() - t < 200);
  });

  it("reads gcloud's active configuration without running gcloud", async () => {
    fs.mkdirSync(path.join(dir, 'gcloud', 'configurations'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'gcloud', 'active_config'), 'work\n');
    fs.writeFileSync(
      path.join(dir, 'gcloud', 'configurations', 'config_work'),
      '[compute]\nregion = x\n[core]\naccount = ana@example.com\nproject = from-gcloud\n',
    );
    assert.deepEqual(await resolveProjectId({ env }), { projectId: 'from-gcloud', source: 'gcloud-config' });
  });

  it('returns no project quickly when there are no credentials at all', async () => {
    const t = performance.now();
    assert.deepEqual(await resolveProjectId({ env }), { source: 'none' });
    assert.ok(performance.now() - t < 300, `took ${performance.now() - t} ms`);
  });

  it('bounds the metadata probe: a server that never answers costs at most the bound', async () => {
    const sockets: Socket[] = [];
    const silent = http.createServer(() => undefined);
    silent.on('connection', (s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const t = performance.now();
      const r = await resolveProjectId({
        env: { ...env, GCE_METADATA_HOST: `127.0.0.1:${(silent.address() as AddressInfo).port}` },
        metadataTimeoutMs: 300,
      });
      const took = performance.now() - t;
      assert.deepEqual(r, { source: 'none' });
      assert.ok(took >= 250 && took < 5_000, `took ${took} ms`);
    } finally {
      sockets.forEach((s) => s.destroy());
      silent.close();
    }
  });

  it('asks the metadata server (with Metadata-Flavor) when nothing else knows', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const md = http.createServer((req, res) => {
      seen.push(req.headers);
      if (req.url === '/computeMetadata/v1/project/project-id') {
        res.writeHead(200, { 'Metadata-Flavor': 'Google' });
        res.end('gce-project');
      } else if (req.url === '/computeMetadata/v1/instance/service-accounts/default/email') {
        res.writeHead(200, { 'Metadata-Flavor': 'Google' });
        res.end('123-compute@developer.gserviceaccount.com');
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => md.listen(0, '127.0.0.1', r));
    try {
      const mdEnv = { ...env, GCE_METADATA_HOST: `127.0.0.1:${(md.address() as AddressInfo).port}` };
      assert.deepEqual(await resolveProjectId({ env: mdEnv }), { projectId: 'gce-project', source: 'metadata-server' });
      assert.equal(seen[0]['metadata-flavor'], 'Google');
      const who = await describeIdentity({ emulator: false }, { env: mdEnv });
      assert.equal(who.account, '123-compute@developer.gserviceaccount.com');
      assert.equal(who.credentialSource, 'metadata-server');
    } finally {
      md.close();
    }
  });

  it('describeIdentity names the account, the credential source and the project; impersonation shows both', async () => {
    const file = keyFile();
    const me = await describeIdentity({ emulator: false }, { env: { ...env, GOOGLE_APPLICATION_CREDENTIALS: file } });
    assert.equal(me.account, 'deployer@key-project.iam.gserviceaccount.com');
    assert.equal(me.credentialSource, 'GOOGLE_APPLICATION_CREDENTIALS');
    assert.equal(me.credentialType, 'service_account');
    assert.equal(me.projectId, 'key-project');
    assert.match(
      me.summary,
      /deployer@key-project\.iam\.gserviceaccount\.com from .*key\.json; project key-project \(from credentials-file\)/,
    );
    const imp = await describeIdentity(
      { emulator: false, targetPrincipal: 'runner@p.iam.gserviceaccount.com' },
      { env: { ...env, GOOGLE_APPLICATION_CREDENTIALS: file } },
    );
    assert.equal(imp.account, 'runner@p.iam.gserviceaccount.com');
    assert.equal(imp.via, 'deployer@key-project.iam.gserviceaccount.com');
  });

  it("uses gcloud's ADC file, then the file `orchestra-migrate login` writes", async () => {
    const login = orchestraLoginFile(env);
    fs.mkdirSync(path.dirname(login), { recursive: true });
    fs.writeFileSync(
      login,
      JSON.stringify({
        type: 'authorized_user',
        client_id: 'c',
        client_secret: 's',
        refresh_token: 'r',
        quota_project_id: 'login-project',
      }),
    );
    let who = await describeIdentity({ emulator: false }, { env });
    assert.equal(who.credentialSource, 'orchestra-login');
    assert.equal(who.projectId, 'login-project');
    fs.mkdirSync(path.join(dir, 'gcloud'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'gcloud', 'application_default_credentials.json'),
      JSON.stringify({ type: 'authorized_user', client_id: 'c', client_secret: 's', refresh_token: 'r' }),
    );
    who = await describeIdentity({ emulator: false }, { env });
    assert.equal(who.credentialSource, 'gcloud-adc');
    assert.match(who.summary, /your user credentials/);
  });

  it('builds an Impersonated client for targetPrincipal and an external_account client from its file, without a network call', async () => {
    const gal = await import('google-auth-library');
    const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.GOOGLE_APPLICATION_CREDENTIALS = keyFile();
    try {
      const adc = createAdc({
        gcp: { targetPrincipal: 'runner@p.iam.gserviceaccount.com' },
        env: { ...env, GOOGLE_APPLICATION_CREDENTIALS: process.env.GOOGLE_APPLICATION_CREDENTIALS },
      });
      const client = await adc.client();
      assert.ok(client instanceof gal.Impersonated);
      assert.equal(client.getTargetPrincipal(), 'runner@p.iam.gserviceaccount.com');
      const wif = path.join(dir, 'wif.json');
      const tokenFile = path.join(dir, 'oidc-token');
      fs.writeFileSync(tokenFile, 'header.payload.sig');
      fs.writeFileSync(
        wif,
        JSON.stringify({
          type: 'external_account',
          audience:
            '//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/gh/providers/github',
          subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
          token_url: 'https://sts.googleapis.com/v1/token',
          credential_source: { file: tokenFile },
          service_account_impersonation_url:
            'https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/ci@p.iam.gserviceaccount.com:generateAccessToken',
        }),
      );
      process.env.GOOGLE_APPLICATION_CREDENTIALS = wif;
      const wifClient = await createAdc({ env: { ...env, GOOGLE_APPLICATION_CREDENTIALS: wif } }).client();
      assert.ok(wifClient instanceof gal.IdentityPoolClient);
      const who = await describeIdentity({ emulator: false }, { env: { ...env, GOOGLE_APPLICATION_CREDENTIALS: wif } });
      assert.equal(who.account, 'ci@p.iam.gserviceaccount.com');
      assert.equal(who.credentialType, 'external_account');
      assert.equal(who.projectId, '123456789012');
    } finally {
      if (saved === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
      else process.env.GOOGLE_APPLICATION_CREDENTIALS = saved;
    }
  });

  it('does not load google-auth-library when the GCP layer is imported, only on first token', () => {
    const script = `
      require('./src/core/gcp');
      const loaded = () => Object.keys(require.cache).some((k) => k.includes('/node_modules/google-auth-library/'));
      const before = loaded();
      require('./src/core/gcp/auth').loadGoogleAuthLibrary();
      console.log(JSON.stringify({ before, after: loaded() }));`;
    const out = execFileSync(process.execPath, ['-r', 'tsx/cjs', '-e', script], {
      cwd: path.resolve(__dirname, '../../..'),
      encoding: 'utf8',
    });
    assert.deepEqual(JSON.parse(out.trim()), { before: false, after: true });
  });

  describe('with the emulator', () => {
    let emu: GcpEmulator;
    before(async () => (emu = await withEmulator({ accessTokens: ['ya29.from-client'], projects: ['p', 'pre-p'] })));
    after(() => emu.close());

    it('sends the token of a google-auth-library client given as credentials', async () => {
      const oauth = new OAuth2Client();
      oauth.setCredentials({ access_token: 'ya29.from-client', expiry_date: Date.now() + 3600_000 });
      const client = createGcpClient({
        gcp: { endpointOverrides: emulatorOverrides(emu.url), emulator: true },
        credentials: oauth,
        env: {},
      });
      await client.request({ api: 'serviceusage', method: 'GET', path: '/v1/projects/p/services/run.googleapis.com' });
      assert.equal(client.stats.requests, 1);
    });

    it('preflightPermissions lists the missing permissions via testIamPermissions', async () => {
      emu.setFaults({ deniedPermissions: ['run.services.create', 'secretmanager.versions.add'] });
      const client = createGcpClient({
        gcp: { endpointOverrides: emulatorOverrides(emu.url), emulator: true },
        env: {},
      });
      const asked = Array.from({ length: 150 }, (_, i) => `custom.things.p${i}`).concat([
        'run.services.create',
        'iam.serviceAccounts.create',
        'secretmanager.versions.add',
      ]);
      const r = await preflightPermissions(client, 'pre-p', asked);
      assert.deepEqual(r.missing, ['run.services.create', 'secretmanager.versions.add']);
      assert.equal(r.granted.length, 151);
      assert.equal(
        emu.requestLog().filter((x) => x.path.endsWith(':testIamPermissions')).length,
        2,
        '100 permissions per call',
      );
    });
  });
});
