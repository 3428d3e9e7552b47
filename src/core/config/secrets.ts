/**
 * Secrets never live in configuration files (they get committed, copied into
 * Secret Manager by the Hybrid Config phase, shown in the UI). Two checks: keys
 * named like a secret, and values shaped like one. Findings never carry the
 * value: only its kind, a public prefix and its length.
 */
export interface SecretFinding {
  /** 'a Google API key', 'an OAuth access token'... */
  kind: string;
  /** A masked form safe to print, e.g. 'AIza… (39 characters)'. */
  masked: string;
}

export const MEMORY_API_KEY_VARIABLE = 'ORCHESTRA_MEMORY_API_KEY';
export const SET_API_KEY_COMMAND_TITLE = 'Orchestra: Set Memory API Key';

export const SECRET_FIX =
  `Remove it from the file. Store the memory API key with "${SET_API_KEY_COMMAND_TITLE}" in the editor ` +
  `(its secret storage) or in the ${MEMORY_API_KEY_VARIABLE} environment variable (the command line reads only that); ` +
  'Google Cloud credentials come from Application Default Credentials (gcloud auth application-default login). ' +
  'If the file was ever committed or shared, revoke and rotate the secret.';

/** Words that make a key name a secret's name ('apiKey', 'client_secret', 'refresh-token'...). */
const SECRET_WORDS = new Set([
  'secret',
  'secrets',
  'token',
  'tokens',
  'password',
  'passwd',
  'passphrase',
  'credential',
  'credentials',
]);
const SECRET_PAIRS = new Set(['api key', 'private key', 'access key', 'secret key', 'auth key', 'signing key']);

/** Splits camelCase, snake_case, kebab-case and dotted names into lower-case words. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

export function isSecretKeyName(name: string): boolean {
  const list = words(name);
  if (list.some((w) => SECRET_WORDS.has(w) || w === 'apikey' || w === 'privatekey')) return true;
  return list.some((w, i) => i > 0 && SECRET_PAIRS.has(`${list[i - 1]} ${w}`));
}

interface Shape {
  kind: string;
  pattern: RegExp;
  /** A public prefix of the format, safe to show. */
  prefix?: string;
}

const SHAPES: Shape[] = [
  { kind: 'a private key (PEM)', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/, prefix: '-----BEGIN' },
  { kind: 'a Google API key', pattern: /AIza[0-9A-Za-z_-]{35}/, prefix: 'AIza' },
  { kind: 'a Google OAuth access token', pattern: /ya29\.[0-9A-Za-z_-]{20,}/, prefix: 'ya29.' },
  { kind: 'a Google OAuth refresh token', pattern: /(^|[^0-9A-Za-z])1\/\/[0-9A-Za-z_-]{20,}/, prefix: '1//' },
  { kind: 'a GitHub token', pattern: /\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})/, prefix: 'gh' },
  { kind: 'an AWS access key', pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/, prefix: 'AKIA' },
  { kind: 'a Slack token', pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}/, prefix: 'xox' },
  { kind: 'an API key (sk-…)', pattern: /\bsk-(ant-|proj-)?[A-Za-z0-9_-]{20,}/, prefix: 'sk-' },
  {
    kind: 'a JSON Web Token',
    pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/,
    prefix: 'eyJ',
  },
];

const URL_CREDENTIALS = /^([a-z][a-z0-9+.-]*:\/\/)[^/\s@:]*:[^/\s@]+@/i;
const URL_SECRET_QUERY = /[?&](key|api[_-]?key|access[_-]?token|token|password|secret|sig|signature)=[^&#\s]{6,}/i;

function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

/**
 * A long random-looking token: hex of 32+ characters, or base64/base64url of 32+
 * with mixed case and digits, and high entropy. Digests (`sha256:<hex>`) are
 * content addresses, not secrets, and are skipped.
 */
function looksRandom(part: string): boolean {
  if (part.length < 32) return false;
  if (/^[0-9a-f]+$/i.test(part)) {
    return /[0-9]/.test(part) && /[a-f]/i.test(part) && shannonEntropy(part) >= 3.0;
  }
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(part)) return false;
  if (!/[0-9]/.test(part) || !/[a-z]/.test(part) || !/[A-Z]/.test(part)) return false;
  return shannonEntropy(part) >= 4.0;
}

/** 'registry/path/name:<7 to 64 hex>' (a commit SHA as tag): keeps the name, drops the tag. */
const IMAGE_SHA_TAG = /^([a-z0-9][a-z0-9._-]*(?::[0-9]+)?(?:\/[a-z0-9._-]+)*):[0-9a-f]{7,64}$/;
/** Paths ('/Users/Ana/...', './data', '~/x', 'C:\\x', '//host/x' after a scheme): checked segment by segment. */
const PATH_LIKE = /^(\/|\\|\.{1,2}[/\\]|~[/\\]|[A-Za-z]:\\)/;

function mask(value: string, prefix?: string): string {
  const length = `${value.length} characters`;
  return prefix && value.startsWith(prefix) ? `(${prefix}…, ${length})` : `(${length})`;
}

/** What secret a string value looks like, if any. */
export function findSecretInValue(value: string): SecretFinding | undefined {
  for (const shape of SHAPES) {
    if (shape.pattern.test(value)) return { kind: shape.kind, masked: mask(value, shape.prefix) };
  }
  const credentials = URL_CREDENTIALS.exec(value);
  if (credentials) {
    return {
      kind: 'a URL with a user name and password',
      masked: `(${credentials[1]}****:****@…, ${value.length} characters)`,
    };
  }
  if (URL_SECRET_QUERY.test(value)) {
    return { kind: 'a URL with a key or token in its query', masked: mask(value) };
  }
  // Content addresses are not secrets: digests, and a commit SHA used as an image tag.
  const withoutDigests = value.replace(/sha(256|384|512):[0-9a-f]+/gi, '').replace(IMAGE_SHA_TAG, '$1');
  const parts = withoutDigests
    .split(/[\s=:,;'"]+/)
    .flatMap((part) => (PATH_LIKE.test(part) ? part.split(/[/\\]+/) : [part]));
  if (parts.some(looksRandom)) return { kind: 'a long random string (a key or token)', masked: mask(value) };
  return undefined;
}
