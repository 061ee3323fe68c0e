// The README's first pipeline, as published (compiled rx-firehose, default options), reading standard input.
// With SLOW_MS set, every batch's write is held back that long (a slow destination); with AGGREGATED_RECORD_BYTES,
// fromLines joins lines into records of up to that many bytes (not the README's: for comparison with the CLI,
// which does). Prints the peak RSS.
// Usage: node readmePipeline.mjs OUTDIR < INPUT      (SLOW_MS=250 for the slow destination)
import { fromLines, directoryDestination } from 'rx-firehose';
import { bufferBySizeOrTime, deliverTo } from 'rx-firehose/operators';
import { setTimeout as sleep } from 'node:timers/promises';

const [outDir] = process.argv.slice(2);
const slowMs = Number(process.env.SLOW_MS ?? 0);
const aggregatedRecordSizeBytes = Number(process.env.AGGREGATED_RECORD_BYTES ?? 0);
const directory = directoryDestination({ path: outDir, streamName: 'clicks', compression: 'GZIP' });
const out =
  slowMs > 0
    ? {
        ...directory,
        name: directory.name,
        build: (batch, context) => directory.build(batch, context),
        send: async (request, attempt) => {
          await sleep(slowMs);
          return directory.send(request, attempt);
        },
        buildFailures: (failures, type, context) => directory.buildFailures(failures, type, context),
      }
    : directory;

let batches = 0;
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 100);
fromLines(process.stdin, { maxInFlightBytes: 64 << 20, ...(aggregatedRecordSizeBytes > 0 ? { aggregatedRecordSizeBytes } : {}) })
  .pipe(bufferBySizeOrTime({ maxBytes: 1 << 20, maxMs: 60_000 }), deliverTo(out, { errorOutput: out }))
  .subscribe({
    next: () => batches++,
    complete: () => {
      clearInterval(sampler);
      console.log(JSON.stringify({ batches, maxRssBytes: Math.max(peakRss, process.resourceUsage().maxRSS * 1024) }));
    },
    error: (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  });
