import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { createLoginCommand, loginCommand } from '../../../src/cli/commands/login';
import type { CliContext } from '../../../src/cli/command';
import { nullLogger } from '../../../src/core/logger';
import { InputError } from '../../../src/core/errors';

describe('orchestra-migrate login', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'login-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function ctx(argv: string[]): CliContext & { out(): string } {
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    const env = {
      HOME: path.join(dir, 'home'),
      CLOUDSDK_CONFIG: path.join(dir, 'gcloud'),
      METADATA_SERVER_DETECTION: 'none',
    };
    return {
      argv,
      cwd: dir,
      env,
      stdout,
      stderr: new PassThrough(),
      logger: nullLogger,
      signal: new AbortController().signal,
      out: () => out,
    };
  }

  it('signs in with the client file and saves an authorized_user file readable by the owner only', async () => {
    const clientFile = path.join(dir, 'client.json');
    fs.writeFileSync(
      clientFile,
      JSON.stringify({
        installed: {
          client_id: 'cid.apps.googleusercontent.com',
          client_secret: 'csecret',
          redirect_uris: ['http://localhost'],
        },
      }),
    );
    const asked: Array<{ keyfilePath: string; scopes: string[] }> = [];
    const command = createLoginCommand({
      authenticate: async (o) => {
        asked.push(o);
        return { credentials: { refresh_token: '1//refresh', access_token: 'ya29.x' } };
      },
    });
    const c = ctx(['--client', 'client.json']);
    assert.equal(await command.run(c), 0);
    assert.deepEqual(asked, [{ keyfilePath: clientFile, scopes: ['https://www.googleapis.com/auth/cloud-platform'] }]);
    const saved = path.join(dir, 'home', '.config', 'orchestra-migrate', 'application_default_credentials.json');
    assert.deepEqual(JSON.parse(fs.readFileSync(saved, 'utf8')), {
      type: 'authorized_user',
      client_id: 'cid.apps.googleusercontent.com',
      client_secret: 'csecret',
      refresh_token: '1//refresh',
    });
    assert.equal(fs.statSync(saved).mode & 0o777, 0o600);
    assert.ok(!c.out().includes('1//refresh'), 'the token is never printed');
    const status = ctx(['--status', '--json']);
    await command.run(status);
    assert.equal(JSON.parse(status.out()).credentialSource, 'orchestra-login');
  });

  it('asks for a client file, and rejects a file that is not an OAuth client', async () => {
    await assert.rejects(loginCommand.run(ctx([])), InputError);
    fs.writeFileSync(path.join(dir, 'sa.json'), JSON.stringify({ type: 'service_account' }));
    await assert.rejects(loginCommand.run(ctx(['--client', 'sa.json'])), /not an OAuth client file/);
    await assert.rejects(loginCommand.run(ctx(['--bogus'])), /Unknown option/);
  });
});
