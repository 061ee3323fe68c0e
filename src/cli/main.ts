#!/usr/bin/env node
import { createReadStream } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { bufferBySizeOrTime, deliverTo } from '../../operators/index.js';
import type { Compression } from '../codecs/compression.js';
import { directoryDestination } from '../destinations/directory/index.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import type { InFlightBudget } from '../sources/InFlightBudget.js';
import { fromLines } from '../sources/lines/fromLines.js';
import { generateJsonLines } from './generate.js';

const HELP = `rx-firehose: delivers JSON lines, buffered by size or time, to a local directory laid out as Firehose lays out S3.

Usage: npm start -- [options]            generated clickstream records
       npm start -- --input events.jsonl  lines of a file ('-' for standard input)

  --input FILE            read newline-delimited records from FILE, or - for stdin (default: generate)
  --records N             how many records to generate (default 200000)
  --rate N                generated records per second (default: as fast as delivery allows)
  --out DIR               the directory (default ./firehose-out)
  --stream NAME           stream name, first part of every file name (default rx-firehose)
  --compression C         UNCOMPRESSED, GZIP (default), ZIP, Snappy or HADOOP_SNAPPY
  --max-bytes N           buffer size: a batch is delivered at N bytes (default 1048576 = 1 MiB)
  --max-ms N              buffer interval: or N ms after its first record (default 60000)
  --concurrency N         batches compressed and written at once (default 4)
  --max-in-flight-bytes N stop reading while N bytes are read and not yet delivered (default 67108864)
  --quiet                 no line per batch, only progress and the summary
  --help                  this text

Ctrl-C (SIGINT) or SIGTERM stops reading and drains: every buffered record is delivered, then it exits.
A second Ctrl-C exits at once.`;

function fail(message: string): never {
  console.error(`rx-firehose: ${message}`);
  process.exit(2);
}

/**
 * The main job (`rx-firehose [options]`, `npm start -- [options]`): `argv` are its options; resolves with the exit
 * code once the pipeline ended.
 */
export async function main(argv: string[]): Promise<number> {
const { values } = (() => {
  try {
    return parseArgs({
      args: argv,
      options: {
        input: { type: 'string' },
        records: { type: 'string', default: '200000' },
        rate: { type: 'string' },
        out: { type: 'string', default: './firehose-out' },
        stream: { type: 'string', default: 'rx-firehose' },
        compression: { type: 'string', default: 'GZIP' },
        'max-bytes': { type: 'string', default: String(1_048_576) },
        'max-ms': { type: 'string', default: '60000' },
        concurrency: { type: 'string', default: '4' },
        'max-in-flight-bytes': { type: 'string', default: String(64 * 1_048_576) },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    return fail(`${(err as Error).message}\n\n${HELP}`);
  }
})();
if (values.help) {
  console.log(HELP);
  return 0;
}
const number = (name: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || Number.isNaN(n)) fail(`--${name} must be a number; got ${JSON.stringify(text)}`);
  return n;
};

const stop = new AbortController();
let signals = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (++signals > 1) {
      console.error(`\n${signal} again: exiting without draining.`);
      process.exit(130);
    }
    console.error(`\n${signal}: stopped reading, draining what is buffered (Ctrl-C again to exit at once)…`);
    stop.abort();
  });
}

let budget: InFlightBudget | undefined;
const input =
  values.input === undefined
    ? generateJsonLines(number('records', values.records)!, number('rate', values.rate) ?? Infinity, stop.signal)
    : values.input === '-'
      ? process.stdin
      : createReadStream(values.input);

let pipeline;
try {
  const out = directoryDestination<FirehoseRecord>({
    path: values.out,
    streamName: values.stream,
    compression: values.compression as Compression,
  });
  pipeline = fromLines(input, {
    maxInFlightBytes: number('max-in-flight-bytes', values['max-in-flight-bytes']),
    signal: stop.signal,
    onInFlight: (b) => (budget = b),
  }).pipe(
    bufferBySizeOrTime({ maxBytes: number('max-bytes', values['max-bytes']), maxMs: number('max-ms', values['max-ms']) }),
    deliverTo(out, { errorOutput: out, concurrency: number('concurrency', values.concurrency) }),
  );
} catch (err) {
  fail((err as Error).message);
}

const started = Date.now();
let records = 0;
let bytes = 0;
let objects = 0;
let failed = 0;
let peakRss = 0;
const mb = (n: number): string => `${(n / 1_048_576).toFixed(1)} MiB`;
const elapsed = (): number => (Date.now() - started) / 1000;
const progress = (): string =>
  `${records} records, ${mb(bytes)} in ${objects} files, ${(records / Math.max(elapsed(), 0.001)).toFixed(0)} records/s, ` +
  `${(bytes / 1_048_576 / Math.max(elapsed(), 0.001)).toFixed(1)} MiB/s, in flight ${mb(budget?.inFlightBytes ?? 0)}`;
const ticker = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  console.error(`… ${progress()}`);
}, 1000);

console.error(`rx-firehose: ${values.input === undefined ? 'generated records' : values.input === '-' ? 'stdin' : values.input} → ${values.out} (${values.compression})`);
return new Promise<number>((exit) => pipeline.subscribe({
  next: (result) => {
    records += result.records.length;
    bytes += result.bytes;
    objects += result.location === undefined || result.location === '' ? 0 : result.location.split(' ').length;
    failed += result.failed.length;
    if (!values.quiet) {
      console.log(`${result.status === 'delivered' ? 'delivered' : 'FAILED   '} ${String(result.records.length).padStart(6)} records ${mb(result.bytes).padStart(9)} → ${result.location ?? result.errorLocation}`);
    }
  },
  error: (err: unknown) => {
    clearInterval(ticker);
    if (input === process.stdin) process.stdin.destroy();
    console.error(`rx-firehose: ${err instanceof Error ? err.message : String(err)}`);
    exit(1);
  },
  complete: () => {
    clearInterval(ticker);
    // Stopped while stdin was open: let go of it, or the process would wait for input that never comes.
    if (input === process.stdin) process.stdin.destroy();
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    console.error(`done: ${progress().replace(/, in flight.*/, '')} in ${elapsed().toFixed(2)} s; ${failed} records to the error output; peak RSS ${mb(peakRss)}`);
    exit(0);
  },
}));
}

// Run directly (`node --import tsx src/cli/main.ts`) rather than through the `rx-firehose` bin.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main(process.argv.slice(2));
