#!/usr/bin/env node
import { statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { from, tap } from 'rxjs';
import { builtRequestOf } from '../delivery/builtRequestOf.js';
import { bufferBySizeOrTime, deliverTo } from '../../operators/index.js';
import type { Compression } from '../codecs/compression.js';
import type { DeliveryRequest, Destination, ErrorOutput, FailureRecord } from '../destinations/Destination.js';
import { DeliveryError } from '../destinations/DeliveryError.js';
import { directoryDestination } from '../destinations/directory/index.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import type { InFlightBudget } from '../sources/InFlightBudget.js';
import { FILE_READ_CHUNK_BYTES, fromLines } from '../sources/lines/fromLines.js';
import { linesIn } from '../sources/lines/linesIn.js';
import { sourceBudgetFor } from '../config/sourceBudgetFor.js';
import { fileCheckpoint } from './fileCheckpoint.js';
import { generateJsonLines } from './generate.js';
import { recyclingFileChunks } from './recyclingFileChunks.js';

/**
 * The main job's default `--aggregated-record-bytes`: lines travel in runs of up to 64 KiB (about 500 lines of
 * 128 bytes), one record each to buffer, settle and checkpoint. Its GZIP job on 300 MiB ran in 3.1 s instead of
 * 5.6 s (bench/README.md); larger runs gained nothing more, and cost fuller batches (a batch ends short of
 * --max-bytes by less than one run).
 */
const AGGREGATED_RECORD_BYTES = 65_536;

const HELP = `rx-firehose: delivers JSON lines, buffered by size or time, to a local directory laid out as Firehose lays out S3.

Usage: rx-firehose [options]             generated clickstream records (npm start -- [options] in a clone)
       rx-firehose --input events.jsonl   lines of a file ('-' for standard input)

  --input FILE            read newline-delimited records from FILE, or - for stdin (default: generate)
  --checkpoint-dir DIR    where a FILE's checkpoint is kept (default ./.rx-firehose/files)
  --from-start            read FILE from its start, whatever its checkpoint says
  --max-record-bytes N    a longer line goes to the error output (default 1024000, Firehose's record limit)
  --aggregated-record-bytes N
                          a record is a run of whole lines of up to N bytes, as with the Kinesis Agent's
                          aggregatedRecordSizeBytes (default 65536, at most a sixteenth of --max-bytes;
                          0: a record per line). The files hold the same bytes either way; a failure
                          record then holds a run of lines. Counts shown are lines.
  --records N             how many records to generate, an integer ≥ 0 (default 200000)
  --rate N                generated records per second, > 0 (default: as fast as delivery allows)
  --out DIR               the directory (default ./firehose-out)
  --stream NAME           stream name, first part of every file name (default rx-firehose)
  --compression C         UNCOMPRESSED, GZIP (default), ZIP, Snappy or HADOOP_SNAPPY
  --max-bytes N           buffer size: a batch is delivered at N bytes (default 1048576 = 1 MiB)
  --max-ms N              buffer interval: or N ms after its first record (default 60000)
  --concurrency N         batches compressed and written at once (default 4)
  --max-in-flight-bytes N stop reading while N bytes are read and not yet delivered (default: what
                          --concurrency + 2 batches hold when lines are aggregated, 6 MiB; else 67108864,
                          or twice --max-bytes if more)
  --max-in-flight-records N
                          and while N records are (default 16384 per MiB of --max-bytes, at least 16384:
                          about 2 batches of 128-byte lines; raise it for a slow destination, or for
                          lines under ~112 bytes whose gzip is slow, to keep more batches in flight,
                          at ~1 KiB each)
  --quiet                 nothing but warnings and errors (no line per batch, no progress, no summary)
  --help                  this text

Relative paths are resolved from the directory npm start was run in (INIT_CWD), else the current one.
A FILE input is checkpointed: the byte offset below which every line was delivered is saved (atomically)
as delivery goes; a rerun resumes there, so a killed run loses nothing and repeats at most
--max-in-flight-bytes. A pipe (--input <(zcat events.gz), a FIFO) is read once, without a checkpoint.
Progress is shown once a second on a terminal only.

Ctrl-C (SIGINT) or SIGTERM stops reading and drains: every buffered record is delivered, then it exits.
So does the loss of the parent process (npm killed). A second Ctrl-C exits at once.

Exit status: 0 every record delivered; 3 some records went to the error output (<out>/…-failed/);
1 records could not be delivered anywhere, or the input failed; 2 bad usage; 130 exited without draining.`;

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
        // `--records -5` is a negative number for the option, to be refused as such (parseArgs calls it ambiguous).
        args: argv.flatMap((arg, i, all) =>
          /^-\d/.test(all[i + 1] ?? '') && /^--[a-z-]+$/.test(arg)
            ? []
            : /^-\d/.test(arg) && /^--[a-z-]+$/.test(all[i - 1] ?? '')
              ? [`${all[i - 1]}=${arg}`]
              : [arg],
        ),
        options: {
          input: { type: 'string' },
          'checkpoint-dir': { type: 'string', default: join('.rx-firehose', 'files') },
          'from-start': { type: 'boolean', default: false },
          'max-record-bytes': { type: 'string', default: '1024000' },
          'aggregated-record-bytes': { type: 'string' },
          records: { type: 'string', default: '200000' },
          rate: { type: 'string' },
          out: { type: 'string', default: './firehose-out' },
          stream: { type: 'string', default: 'rx-firehose' },
          compression: { type: 'string', default: 'GZIP' },
          'max-bytes': { type: 'string', default: String(1_048_576) },
          'max-ms': { type: 'string', default: '60000' },
          concurrency: { type: 'string', default: '4' },
          'max-in-flight-bytes': { type: 'string' },
          'max-in-flight-records': { type: 'string' },
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
  const records = number('records', values.records)!;
  if (!Number.isSafeInteger(records) || records < 0) fail(`--records must be a whole number ≥ 0; got ${JSON.stringify(values.records)}`);
  const rate = number('rate', values.rate);
  if (rate !== undefined && !(rate > 0 && Number.isFinite(rate)))
    fail(`--rate must be a number of records per second > 0; got ${JSON.stringify(values.rate)}`);
  // Relative paths mean what they meant where the user typed them: npm start runs scripts from the package root.
  const base = process.env['INIT_CWD'] ?? process.cwd();
  const inputPath = values.input === undefined || values.input === '-' ? undefined : resolve(base, values.input);
  const outPath = resolve(base, values.out);
  const say = (line: string): void => {
    if (!values.quiet) console.error(line);
  };

  const stop = new AbortController();
  let signals = 0;
  const onStopSignal = (signal: string): void => {
    if (++signals > 1) {
      console.error(`\n${signal} again: exiting without draining.`);
      process.exit(130);
    }
    console.error(`\n${signal}: stopped reading, draining what is buffered (Ctrl-C again to exit at once)…`);
    stop.abort();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => onStopSignal(signal));
  // A parent that dies without passing its signal on (npm killed, a shell closed) would orphan the job: drain then too.
  const parentPid = process.ppid;
  const parentWatch = setInterval(() => {
    if (process.ppid !== parentPid && !stop.signal.aborted) {
      signals++;
      console.error('\nthe parent process is gone: stopped reading, draining what is buffered…');
      stop.abort();
    }
  }, 500);
  parentWatch.unref();

  let budget: InFlightBudget | undefined;
  /** Failure records written to the error output: records that failed delivery, and lines over --max-record-bytes. */
  let toErrorOutput = 0;
  // A pipe (--input <(zcat events.gz), a FIFO) is read as it comes, once: no offset in it can be resumed from.
  const seekable = inputPath !== undefined && isSeekable(inputPath);
  const checkpoint = seekable ? fileCheckpoint(resolve(base, values['checkpoint-dir']), inputPath) : undefined;
  let startOffset = 0;
  if (checkpoint !== undefined && !values['from-start']) {
    try {
      const loaded = checkpoint.load();
      startOffset = loaded.offsetBytes;
      if (loaded.note !== undefined) console.error(`rx-firehose: ${loaded.note}`);
    } catch (err) {
      fail((err as Error).message);
    }
  }
  // A file is read into buffers used again once their lines are delivered: nothing in this pipeline keeps a record's data.
  const fileChunks =
    inputPath === undefined ? undefined : recyclingFileChunks(inputPath, seekable ? startOffset : undefined, FILE_READ_CHUNK_BYTES);
  const input = values.input === undefined ? generateJsonLines(records, rate ?? Infinity, stop.signal) : (fileChunks ?? process.stdin);

  let pipeline;
  try {
    const directory = directoryDestination({
      path: outPath,
      streamName: values.stream,
      compression: values.compression as Compression,
    });
    const out = sayingRetries(directory);
    const maxBytes = number('max-bytes', values['max-bytes']);
    const concurrency = number('concurrency', values.concurrency);
    const maxRecordBytes = number('max-record-bytes', values['max-record-bytes']);
    // Enough in flight for two batches of --max-bytes: with less, a batch would go out when reading waits, smaller.
    // (A --max-bytes out of range is refused by bufferBySizeOrTime below, naming it.)
    const batchBytes = maxBytes !== undefined && Number.isFinite(maxBytes) ? maxBytes : 0;
    // By default, runs of 64 KiB, and at most a sixteenth of a batch (a batch then ends short of --max-bytes by
    // under 1/16, and a run never makes a file larger than --max-bytes) and a record's limit; under 2 bytes, none.
    const defaultRun = Math.floor(Math.min(AGGREGATED_RECORD_BYTES, batchBytes / 16, maxRecordBytes ?? Number.POSITIVE_INFINITY));
    const aggregatedRecordSizeBytes =
      number('aggregated-record-bytes', values['aggregated-record-bytes']) ?? (defaultRun >= 2 ? defaultRun : 0);
    const enough = sourceBudgetFor(batchBytes);
    // Aggregated records are few, so bytes bound what is in flight: a batch filling, one waiting and one per
    // write at once. More is memory that only slows (fresh pages for every read chunk kept alive).
    const aggregatedBytes = Math.min(enough.maxInFlightBytes, ((concurrency ?? 4) + 2) * batchBytes);
    pipeline = fromLines(input, {
      maxInFlightBytes:
        number('max-in-flight-bytes', values['max-in-flight-bytes']) ??
        (aggregatedRecordSizeBytes !== 0 && aggregatedBytes > 0 ? aggregatedBytes : enough.maxInFlightBytes),
      maxInFlightRecords: number('max-in-flight-records', values['max-in-flight-records']) ?? enough.maxInFlightRecords,
      maxRecordBytes,
      aggregatedRecordSizeBytes,
      errorOutput: out,
      signal: stop.signal,
      onInFlight: (b) => (budget = b),
      ...(fileChunks === undefined
        ? {}
        : {
            onCheckpoint: (offset: number) => {
              fileChunks.settledTo(offset);
              checkpoint?.save(startOffset + offset);
            },
          }),
    }).pipe(bufferBySizeOrTime({ maxBytes, maxMs: number('max-ms', values['max-ms']) }), deliverTo(out, { errorOutput: out, concurrency }));
  } catch (err) {
    fail((err as Error).message);
  }

  /**
   * The directory, saying on stderr each time a write fails and will be retried (a full disk is retried for up
   * to 24 h: the user must hear of it while it lasts, not after).
   */
  function sayingRetries<R extends DeliveryRequest>(d: Destination<R> & ErrorOutput<R>): Destination<R> & ErrorOutput<R> {
    // A permanent error (a path that cannot be a directory, say) is not retried: the batch's records go to the
    // error output at once, and saying "retrying for up to 24 h" would be false.
    const warn = (what: string, attempt: number, batch: boolean) => (err: unknown) => {
      const e = err as { code?: unknown; message?: unknown };
      const next =
        err instanceof DeliveryError && err.permanent
          ? `retrying cannot help${batch ? ': its records go to the error output' : ''}`
          : 'retrying with backoff for up to 24 h, nothing is dropped (Ctrl-C drains, twice exits)';
      console.error(
        `rx-firehose: ${what} in ${outPath} failed (attempt ${attempt}): ${typeof e.code === 'string' ? `${e.code}: ` : ''}${String(e.message ?? err)}; ${next}`,
      );
    };
    // Requests of failure records (as opposed to batches): their type, to word what was written, and the lines
    // each failure record holds (a run of lines when aggregated), to count them.
    const failureWrites = new WeakMap<DeliveryRequest, { type: string; lines: readonly number[] }>();
    return {
      name: d.name,
      ...(d.errorOutputType === undefined ? {} : { errorOutputType: d.errorOutputType }),
      ...(d.retryDurationMs === undefined ? {} : { retryDurationMs: d.retryDurationMs }),
      ...(d.failureFields === undefined ? {} : { failureFields: d.failureFields.bind(d) }),
      build: (batch, context) => d.build(batch, context),
      send: (request, attempt) => {
        const write = failureWrites.get(request);
        return from(d.send(request, attempt)).pipe(
          tap({
            next: (outcome) => {
              if (write === undefined) return;
              const failed = new Set(outcome.status === 'partial' ? outcome.failed.map((f) => f.index) : []);
              for (const item of request.items) if (!failed.has(item)) toErrorOutput += write.lines[item] ?? 1;
            },
            error: warn(write === undefined ? 'writing a batch' : `writing ${write.type} records`, attempt.attempt, write === undefined),
          }),
        );
      },
      buildFailures: (failures, type, context) =>
        builtRequestOf(d.buildFailures(failures, type, context)).pipe(
          tap((built) => {
            if (built.request !== undefined) failureWrites.set(built.request, { type, lines: failures.map(linesOfFailure) });
          }),
        ),
    };
  }

  const started = Date.now();
  let delivered = 0;
  let bytes = 0;
  let objects = 0;
  let peakRss = 0;
  const mb = (n: number): string => `${(n / 1_048_576).toFixed(1)} MiB`;
  const elapsed = (): number => (Date.now() - started) / 1000;
  const progress = (): string =>
    `${delivered} records, ${mb(bytes)} in ${objects} files, ${(delivered / Math.max(elapsed(), 0.001)).toFixed(0)} records/s, ` +
    `${(bytes / 1_048_576 / Math.max(elapsed(), 0.001)).toFixed(1)} MiB/s, in flight ${mb(budget?.inFlightBytes ?? 0)}`;
  // Progress is for a person watching a terminal: not for a pipe or a log, and not repeated while nothing moves.
  let lastShown = '';
  const ticker = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    if (values.quiet || process.stderr.isTTY !== true) return;
    const now = `${delivered} ${toErrorOutput} ${budget?.inFlightBytes ?? 0}`;
    if (now === lastShown) return;
    lastShown = now;
    console.error(`… ${progress()}`);
  }, 1000);

  say(
    `rx-firehose: ${values.input === undefined ? 'generated records' : (inputPath ?? 'stdin')}${startOffset > 0 ? ` from byte ${startOffset}` : ''} → ${outPath} (${values.compression})`,
  );
  const finish = (): void => {
    clearInterval(ticker);
    clearInterval(parentWatch);
    checkpoint?.flush();
    // Stopped while stdin was open: let go of it, or the process would wait for input that never comes.
    if (input === process.stdin) process.stdin.destroy();
  };
  return new Promise<number>((exit) =>
    pipeline.subscribe({
      next: (result) => {
        const lines = linesOf(result.records);
        delivered += result.status === 'delivered' ? lines : lines - linesOf(result.failed);
        bytes += result.bytes;
        objects += result.location === undefined || result.location === '' ? 0 : result.location.split(' ').length;
        if (!values.quiet) {
          console.log(
            `${result.status === 'delivered' ? 'delivered' : 'FAILED   '} ${String(lines).padStart(6)} records ${mb(result.bytes).padStart(9)} → ${result.location ?? result.errorLocation}`,
          );
        }
      },
      error: (err: unknown) => {
        finish();
        console.error(`rx-firehose: ${err instanceof Error ? err.message : String(err)}`);
        exit(1);
      },
      complete: () => {
        finish();
        peakRss = Math.max(peakRss, process.memoryUsage.rss());
        say(
          `done: ${progress().replace(/, in flight.*/, '')} in ${elapsed().toFixed(2)} s; ${toErrorOutput} records to the error output; peak RSS ${mb(peakRss)}`,
        );
        if (toErrorOutput > 0) {
          console.error(`rx-firehose: ${toErrorOutput} records went to the error output (failure records under ${outPath}); exit status 3`);
          exit(3);
          return;
        }
        exit(0);
      },
    }),
  );
}

/** Lines in `records` (a record holds several when lines are aggregated). */
function linesOf(records: readonly FirehoseRecord[]): number {
  let lines = 0;
  for (const record of records) lines += linesIn(record);
  return lines;
}

/** Lines in a failure record: those its `rawData` holds, at least 1 (the head of a line too long has no newline). */
function linesOfFailure(failure: FailureRecord): number {
  const bytes = Buffer.from(failure.rawData, 'base64');
  let lines = 0;
  for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) lines++;
  return Math.max(1, lines);
}

/** Whether `path` can be read from an offset (a regular file or a block device), rather than only as it comes (a pipe). */
function isSeekable(path: string): boolean {
  try {
    const stats = statSync(path);
    return stats.isFile() || stats.isBlockDevice();
  } catch {
    return true; // missing or unreadable: opening it says why, as for any file
  }
}

// Run directly (`node --import tsx src/cli/main.ts`) rather than through the `rx-firehose` bin.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  process.exitCode = await main(process.argv.slice(2));
