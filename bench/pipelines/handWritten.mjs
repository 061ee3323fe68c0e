// The hand-written baseline of the throughput benchmark: what a Node programmer would write without
// rx-firehose. Splits newline-delimited input into lines, gathers them into batches of at most 1 MiB (a
// line never split, the batch copied once into one buffer), gzips each batch (zlib.gzip, level 6) and
// writes it to its own file with fsync, CONCURRENCY batches at once; reading waits while CONCURRENCY
// batches are in flight. Usage: node handWritten.mjs INPUT OUTDIR CONCURRENCY
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';

const gzip = promisify(gzipCallback);
const [input, outDir, concurrencyText] = process.argv.slice(2);
const concurrency = Number(concurrencyText ?? 4);
const BATCH = 1_048_576;

let batch = Buffer.allocUnsafe(BATCH);
let used = 0;
let files = 0;
const inFlight = new Set();

async function write(bytes, n) {
  const body = await gzip(bytes, { level: 6 });
  const file = await open(join(outDir, `batch-${n}.gz`), 'w');
  try {
    await file.writeFile(body);
    await file.sync();
  } finally {
    await file.close();
  }
}

async function flush() {
  if (used === 0) return;
  const bytes = batch.subarray(0, used);
  batch = Buffer.allocUnsafe(BATCH);
  used = 0;
  const job = write(bytes, files++).finally(() => inFlight.delete(job));
  inFlight.add(job);
  if (inFlight.size >= concurrency) await Promise.race(inFlight);
}

let partial = [];
for await (const chunk of createReadStream(input)) {
  let start = 0;
  for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, start)) {
    let line = chunk.subarray(start, end + 1);
    if (partial.length > 0) {
      line = Buffer.concat([...partial, line]);
      partial = [];
    }
    if (used + line.length > BATCH) await flush();
    line.copy(batch, used);
    used += line.length;
    start = end + 1;
  }
  if (start < chunk.length) partial.push(chunk.subarray(start));
}
if (partial.length > 0) {
  const line = Buffer.concat(partial);
  if (used + line.length > BATCH) await flush();
  line.copy(batch, used);
  used += line.length;
}
await flush();
await Promise.all(inFlight);
console.log(JSON.stringify({ files, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
