// Lists the files inside the VSIX (a zip) and fails on anything outside the allow-list:
// the bundles (no source maps), media, config defaults and schemas, the manifest,
// README, CHANGELOG and LICENSE, plus vsce's own two files. Also enforces the size budget, and
// that every bundle file a bundle requires on first use (a command, a panel, an engine chunk) ships.
// Usage: node scripts/check-vsix.mjs [path/to.vsix]
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
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
    const method = buffer.readUInt16LE(offset + 10);
    const compressedSize = buffer.readUInt32LE(offset + 20);
    const size = buffer.readUInt32LE(offset + 24);
    const nameLength = buffer.readUInt16LE(offset + 28);
    const extraLength = buffer.readUInt16LE(offset + 30);
    const commentLength = buffer.readUInt16LE(offset + 32);
    const local = buffer.readUInt32LE(offset + 42);
    const name = buffer.toString('utf8', offset + 46, offset + 46 + nameLength);
    entries.push({ name, size, method, compressedSize, local });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** An entry's content: stored or deflated, the two methods vsce writes. */
function entryContent(buffer, entry) {
  const start = entry.local + 30 + buffer.readUInt16LE(entry.local + 26) + buffer.readUInt16LE(entry.local + 28);
  const data = buffer.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) return data;
  if (entry.method === 8) return inflateRawSync(data);
  throw new Error(`${entry.name}: compression method ${entry.method} is not stored or deflate`);
}

/** The bundle files each dist/ bundle requires by a path beside it, missing from the package. */
function missingChunks(buffer, entries, names) {
  const problems = [];
  for (const entry of entries.filter((e) => /^extension\/dist\/[^/]+\.js$/.test(e.name))) {
    const text = entryContent(buffer, entry).toString('utf8');
    for (const [, file] of text.matchAll(/require\("\.\/([\w.-]+\.js)"\)/g)) {
      const needed = `extension/dist/${file}`;
      if (!names.has(needed)) problems.push(`missing: ${needed} (${entry.name} requires it)`);
    }
  }
  return [...new Set(problems)];
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
  problems.push(...missingChunks(buffer, entries, names));
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
