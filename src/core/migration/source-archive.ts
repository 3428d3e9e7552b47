/**
 * The API's source folder as a gzipped tarball, the way `gcloud run deploy --source`
 * uploads it for Cloud Build. Deterministic: files sorted, times, owners and modes
 * fixed, so the same source gives the same bytes and the same digest (which names the
 * upload and tags the image: unchanged source, no rebuild). Version control folders,
 * dependencies and local state stay out, as .gcloudignore's defaults keep them out.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { OrchestraError } from '../errors';

const IGNORED = new Set(['.git', 'node_modules', '.orchestra', '.gcloudignore', '.DS_Store']);
/** Cloud Build refuses sources over its limits long before this; a bound keeps a wrong folder from filling memory. */
const MAX_BYTES = 100 * 1024 * 1024;

export interface SourceArchive {
  data: Buffer;
  /** sha256 of the archive, hex. */
  digest: string;
  files: string[];
}

interface Entry {
  rel: string;
  size: number;
  mtimeMs: number;
}

function walk(root: string, rel = '', out: Entry[] = []): Entry[] {
  for (const dirent of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    if (IGNORED.has(dirent.name)) continue;
    const child = rel ? `${rel}/${dirent.name}` : dirent.name;
    if (dirent.isDirectory()) walk(root, child, out);
    else if (dirent.isFile()) {
      const stat = fs.statSync(path.join(root, child));
      out.push({ rel: child, size: stat.size, mtimeMs: stat.mtimeMs });
    }
  }
  return out;
}

function header(name: string, size: number): Buffer {
  const block = Buffer.alloc(512);
  const [prefix, base] =
    name.length > 100 ? [name.slice(0, name.lastIndexOf('/')), name.slice(name.lastIndexOf('/') + 1)] : ['', name];
  if (Buffer.byteLength(base) > 100 || Buffer.byteLength(prefix) > 155) {
    throw new OrchestraError('SOURCE_PATH_TOO_LONG', `The path ${name} is too long for a source archive.`, {
      where: name,
      fix: 'Shorten the path, or list it in the ignored folders.',
    });
  }
  block.write(base, 0, 'utf8');
  block.write('0000644\0', 100);
  block.write('0000000\0', 108);
  block.write('0000000\0', 116);
  block.write(size.toString(8).padStart(11, '0') + '\0', 124);
  block.write('00000000000\0', 136);
  block.write('        ', 148);
  block.write('0', 156);
  block.write('ustar\0' + '00', 257);
  block.write(prefix, 345, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return block;
}

const cache = new Map<string, { key: string; archive: SourceArchive }>();

/** Packs `dir`; the result is cached until a file in it changes (size or time). */
export function packSource(dir: string): SourceArchive {
  const entries = walk(dir).sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  const key = entries.map((e) => `${e.rel}:${e.size}:${e.mtimeMs}`).join('\n');
  const hit = cache.get(dir);
  if (hit?.key === key) return hit.archive;
  const total = entries.reduce((n, e) => n + e.size, 0);
  if (total > MAX_BYTES) {
    throw new OrchestraError('SOURCE_TOO_LARGE', `The API source ${dir} holds ${Math.round(total / 1048576)} MB.`, {
      where: dir,
      fix: 'Point phases.apiDeployment.source at the API folder only (dependencies are installed by the build).',
    });
  }
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = fs.readFileSync(path.join(dir, entry.rel));
    parts.push(header(entry.rel, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  // Level and mtime fixed: gzip output must not depend on the clock.
  const data = gzipSync(Buffer.concat(parts), { level: 9 });
  const archive = { data, digest: createHash('sha256').update(data).digest('hex'), files: entries.map((e) => e.rel) };
  cache.set(dir, { key, archive });
  return archive;
}
