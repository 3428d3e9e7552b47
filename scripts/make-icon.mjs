// Draws media/icon.png (128x128): a white cloud holding three rising bars, the seven
// phases' progress, on a blue rounded square. Pure Node (zlib), no image tools needed.
// Usage: node scripts/make-icon.mjs
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const SIZE = 128;
const SAMPLES = 4; // supersampling per axis, for smooth edges

const inRoundedRect = (x, y, x0, y0, x1, y1, r) => {
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};
const inCircle = (x, y, cx, cy, r) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const inCloud = (x, y) =>
  inCircle(x, y, 46, 70, 22) ||
  inCircle(x, y, 68, 56, 28) ||
  inCircle(x, y, 90, 72, 20) ||
  inRoundedRect(x, y, 24, 70, 110, 92, 12);
const BARS = [
  [46, 76, 56, 88],
  [61, 64, 71, 88],
  [76, 52, 86, 88],
];
const inBar = (x, y) => BARS.some(([x0, y0, x1, y1]) => inRoundedRect(x, y, x0, y0, x1, y1, 3));

function shade(x, y) {
  if (!inRoundedRect(x, y, 4, 4, 124, 124, 24)) return [0, 0, 0, 0];
  const t = (x + y) / (2 * SIZE);
  const background = [26 + (11 - 26) * t, 115 + (87 - 115) * t, 232 + (208 - 232) * t, 255];
  if (inCloud(x, y)) return inBar(x, y) ? background : [255, 255, 255, 255];
  return background;
}

const raw = Buffer.alloc((SIZE * 4 + 1) * SIZE);
for (let y = 0; y < SIZE; y++) {
  raw[y * (SIZE * 4 + 1)] = 0; // filter: none
  for (let x = 0; x < SIZE; x++) {
    const sum = [0, 0, 0, 0];
    for (let sy = 0; sy < SAMPLES; sy++) {
      for (let sx = 0; sx < SAMPLES; sx++) {
        const [r, g, b, a] = shade(x + (sx + 0.5) / SAMPLES, y + (sy + 0.5) / SAMPLES);
        sum[0] += r * a;
        sum[1] += g * a;
        sum[2] += b * a;
        sum[3] += a;
      }
    }
    const offset = y * (SIZE * 4 + 1) + 1 + x * 4;
    const alpha = sum[3] / SAMPLES ** 2;
    raw[offset + 0] = sum[3] ? Math.round(sum[0] / sum[3]) : 0;
    raw[offset + 1] = sum[3] ? Math.round(sum[1] / sum[3]) : 0;
    raw[offset + 2] = sum[3] ? Math.round(sum[2] / sum[3]) : 0;
    raw[offset + 3] = Math.round(alpha);
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0);
ihdr.writeUInt32BE(SIZE, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
writeFileSync(new URL('../media/icon.png', import.meta.url), png);
console.log(`media/icon.png: ${png.length} bytes`);
