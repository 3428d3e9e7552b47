// Lists the files inside the VSIX (a zip) and fails on anything outside the allow-list:
// the bundles (no source maps), media, config defaults and schemas, the manifest,
// README, CHANGELOG and LICENSE, plus vsce's own two files. Also enforces the size budget.
// Usage: node scripts/check-vsix.mjs [path/to.vsix]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAX_BYTES = 1.5 * 1024 * 1024;

const ALLOWED = [
  /^\[Content_Types\]\.xml$/,
  /^extension\.vsixmanifest$/,
  /^extension\/package\.json$/,
  /^extension\/readme\.md$/i,
  /^extension\/changelog\.md$/i,
  /^extension\/license(\.txt)?$/i,
  /^extension\/dist\/[\w./-]+\.(js|css)$/,
  /^extension\/media\/[\w./-]+\.(png|svg|css|md)$/,
  /^extension\/config\/[\w.-]+\.json$/,
  /^extension\/config\/schema\/[\w.-]+\.json$/,
];
const FORBIDDEN = [/\.map$/, /(^|\/)node_modules\//, /\.ts$/, /(^|\/)\./];
const REQUIRED = [
  'extension/package.json',
  'extension/dist/extension.js',
  'extension/dist/engine.js',
  'extension/dist/cli.js',
  // The Plan & Run panel's webview bundle and its stylesheet (its only local resources).
  'extension/dist/webview/plan.js',
  'extension/dist/webview/plan.css',
  'extension/media/icon.png',
];

/** Names of the entries in a zip file, read from its central directory. */
export function zipEntries(buffer) {
  const EOCD = 0x06054b50;
  let eocd = -1;
  for (let i = buffer.length - 22; i >= Math.max(0, buffer.length - 22 - 0xffff); i--) {
    if (buffer.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file: no end of central directory record');
  const count = buffer.readUInt16LE(eocd + 10);
  let offset = buffer.readUInt32LE(eocd + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    if (buffer.readUInt32LE(offset) !== 0x02014b50) throw new Error(`bad central directory entry at ${offset}`);
    const size = buffer.readUInt32LE(offset + 24);
    const nameLength = buffer.readUInt16LE(offset + 28);
    const extraLength = buffer.readUInt16LE(offset + 30);
    const commentLength = buffer.readUInt16LE(offset + 32);
    entries.push({ name: buffer.toString('utf8', offset + 46, offset + 46 + nameLength), size });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

export function checkVsix(file) {
  const buffer = readFileSync(file);
  const entries = zipEntries(buffer);
  const problems = [];
  for (const { name } of entries) {
    if (FORBIDDEN.some((re) => re.test(name.replace(/^extension\//, '')))) problems.push(`forbidden: ${name}`);
    else if (!ALLOWED.some((re) => re.test(name))) problems.push(`not in the allow-list: ${name}`);
  }
  const names = new Set(entries.map((e) => e.name));
  for (const name of REQUIRED) if (!names.has(name)) problems.push(`missing: ${name}`);
  if (buffer.length > MAX_BYTES) problems.push(`too big: ${buffer.length} bytes (budget ${MAX_BYTES})`);
  return { entries, bytes: buffer.length, problems };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = path.resolve(process.argv[2] ?? path.join(ROOT, 'orchestra-migrate.vsix'));
  let result;
  try {
    result = checkVsix(file);
  } catch (error) {
    console.error(`vsix check: cannot read ${file}: ${error.message}`);
    process.exit(1);
  }
  console.log(`${path.relative(process.cwd(), file)}: ${result.bytes} bytes, ${result.entries.length} files`);
  for (const e of result.entries) console.log(`  ${String(e.size).padStart(9)}  ${e.name}`);
  if (result.problems.length) {
    console.error(`vsix check failed:\n  ${result.problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log('vsix check: every file is in the allow-list');
}
