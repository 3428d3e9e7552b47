/**
 * `orchestra-migrate login`: sign in with a browser on this machine when there are
 * no Application Default Credentials (no gcloud, no key). Uses
 * @google-cloud/local-auth, loaded only here, with the OAuth client (Desktop app)
 * JSON downloaded from the console, and keeps the refresh token in an
 * authorized_user file (mode 0600) that the engine reads after Google's own ADC places.
 * `login --status` shows who the engine acts as.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as LocalAuth from '@google-cloud/local-auth';
import { InputError, OrchestraError } from '../../core/errors';
import { CLOUD_PLATFORM_SCOPE, describeIdentity, orchestraLoginFile } from '../../core/workspace/accounts';
import { EXIT_OK, type CliCommand, type CliContext } from '../command';

/** What local-auth's authenticate() gives back that we use. */
export interface SignedInClient {
  credentials: { refresh_token?: string | null; access_token?: string | null };
}

export interface LoginDeps {
  authenticate(options: { keyfilePath: string; scopes: string[] }): Promise<SignedInClient>;
}

const localAuth: LoginDeps = {
  async authenticate(options) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { authenticate } = require('@google-cloud/local-auth') as typeof LocalAuth;
    return (await authenticate(options)) as unknown as SignedInClient;
  },
};

interface LoginArgs {
  clientFile?: string;
  status: boolean;
  json: boolean;
}

function parseArgs(argv: string[], ctx: CliContext): LoginArgs {
  const args: LoginArgs = { status: false, json: false, clientFile: ctx.env.ORCHESTRA_OAUTH_CLIENT_FILE };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--client') {
      if (!argv[i + 1])
        throw new InputError('--client needs the OAuth client JSON file', { where: flag, fix: loginCommand.usage });
      args.clientFile = argv[++i];
    } else if (flag === '--status') args.status = true;
    else if (flag === '--json') args.json = true;
    else
      throw new InputError(`Unknown option '${flag}'`, {
        where: 'orchestra-migrate login',
        fix: `Usage: ${loginCommand.usage}`,
      });
  }
  return args;
}

interface ClientFile {
  client_id: string;
  client_secret?: string;
}

function readClientFile(file: string): ClientFile {
  let json: { installed?: ClientFile; web?: ClientFile };
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof json;
  } catch (cause) {
    throw new InputError(`Cannot read the OAuth client file ${file}`, {
      where: file,
      cause,
      fix: 'Download the client JSON (Desktop app) from APIs & Services > Credentials.',
    });
  }
  const keys = json.installed ?? json.web;
  if (!keys?.client_id) {
    throw new InputError(`${file} is not an OAuth client file (no installed.client_id)`, {
      where: file,
      fix: 'Create an OAuth client ID of type "Desktop app" and download its JSON.',
    });
  }
  return keys;
}

/** Atomic and private: the refresh token is a long-lived credential. */
function writePrivateJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}

async function status(ctx: CliContext, json: boolean): Promise<number> {
  const identity = await describeIdentity({ emulator: false }, { env: ctx.env });
  ctx.stdout.write(json ? JSON.stringify(identity) + '\n' : identity.summary + '\n');
  return EXIT_OK;
}

export function createLoginCommand(deps: LoginDeps): CliCommand {
  return {
    usage:
      'orchestra-migrate login --client OAUTH_CLIENT.json   (or ORCHESTRA_OAUTH_CLIENT_FILE)\n' +
      'orchestra-migrate login --status [--json]            who the engine acts as, and in which project',
    async run(ctx) {
      const args = parseArgs(ctx.argv, ctx);
      if (args.status) return status(ctx, args.json);
      if (!args.clientFile) {
        throw new InputError('login needs an OAuth client file', {
          where: 'orchestra-migrate login',
          fix: 'Pass --client FILE (an OAuth client of type "Desktop app"), or use `gcloud auth application-default login` instead.',
        });
      }
      const keyfilePath = path.resolve(ctx.cwd, args.clientFile);
      const keys = readClientFile(keyfilePath);
      ctx.stderr.write('Opening the browser for Google sign-in...\n');
      const client = await deps.authenticate({ keyfilePath, scopes: [CLOUD_PLATFORM_SCOPE] });
      const refreshToken = client.credentials.refresh_token;
      if (!refreshToken) {
        throw new OrchestraError('LOGIN_NO_REFRESH_TOKEN', 'Google returned no refresh token', {
          where: 'Google sign-in',
          fix: 'Remove Orchestra Migrate from https://myaccount.google.com/permissions and sign in again.',
        });
      }
      const file = orchestraLoginFile(ctx.env);
      writePrivateJson(file, {
        type: 'authorized_user',
        client_id: keys.client_id,
        client_secret: keys.client_secret,
        refresh_token: refreshToken,
      });
      ctx.stdout.write(
        `Signed in. Credentials saved to ${file} (used when GOOGLE_APPLICATION_CREDENTIALS and gcloud's ADC are absent).\n`,
      );
      return EXIT_OK;
    },
  };
}

export const loginCommand = createLoginCommand(localAuth);
