// The floor of the throughput benchmark: Node's zlib alone on the same input, with nothing else to do. The
// input is read into memory first (not timed), then gzipped at level 6 in 1 MiB pieces, CONCURRENCY at once,
// with the 128 KiB output chunks `compress` uses; nothing is written. Prints the time taken by the gzips alone.
// Usage: node zlibAlone.mjs INPUT CONCURRENCY
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';

const gzip = promisify(gzipCallback);
const [input, concurrencyText] = process.argv.slice(2);
const concurrency = Number(concurrencyText ?? 4);
const PIECE = 1_048_576;
const bytes = readFileSync(input);
const started = process.hrtime.bigint();
let next = 0;
let compressedBytes = 0;
async function worker() {
  while (next < bytes.length) {
    const at = next;
    next += PIECE;
    const body = await gzip(bytes.subarray(at, Math.min(at + PIECE, bytes.length)), { level: 6, chunkSize: 128 * 1024 });
    compressedBytes += body.length;
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
console.log(JSON.stringify({ ms: Number(process.hrtime.bigint() - started) / 1e6, compressedBytes }));
