#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { Observable, asyncScheduler, type OperatorFunction } from 'rxjs';
import { bufferBySizeOrTime, type BatchFlush } from '../../operators/index.js';

const HELP = `rx-firehose: runs a pipeline of generated JSON records through bufferBySizeOrTime and prints every batch.

Usage: npm start -- [options]
  --records N     how many records to generate (default 100000)
  --rate N        records per second (default 50000)
  --max-bytes N   byte budget of a batch (default 1048576 = 1 MiB)
  --max-ms N      time limit of a batch after its first record (default 60000)
  --max-records N record limit of a batch (default: none)
  --help          this text

Ctrl-C (SIGINT) or SIGTERM stops generating and drains: what is buffered is flushed, then it exits.`;

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    rate: { type: 'string', default: '50000' },
    'max-bytes': { type: 'string', default: '1048576' },
    'max-ms': { type: 'string', default: '60000' },
    'max-records': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}

const int = (name: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n)) {
    console.error(`rx-firehose: --${name} must be a number; got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
};
const total = int('records', values.records)!;
const rate = int('rate', values.rate)!;

/** Generated clickstream-like JSON lines, `rate` per second, until `total` or until stopped. */
function generate(stop: AbortSignal): Observable<string> {
  return new Observable<string>((subscriber) => {
    const tickMs = 10;
    const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
    let sent = 0;
    const tick = (): void => {
      for (let i = 0; i < perTick && sent < total; i++, sent++) {
        subscriber.next(
          JSON.stringify({ id: sent, user: `user-${sent % 977}`, event: sent % 5 === 0 ? 'purchase' : 'click', at: Date.now() }) + '\n',
        );
      }
      if (sent >= total || stop.aborted) subscriber.complete();
    };
    const timer = setInterval(tick, tickMs);
    const onStop = (): void => subscriber.complete();
    stop.addEventListener('abort', onStop);
    return () => {
      clearInterval(timer);
      stop.removeEventListener('abort', onStop);
    };
  });
}

const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`\n${signal}: draining…`);
    stop.abort();
  });
}

let batches = 0;
let records = 0;
let bytes = 0;
const started = Date.now();
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)}s`;

let buffer: OperatorFunction<string, string[]>;
try {
  buffer = bufferBySizeOrTime<string>({
    maxBytes: int('max-bytes', values['max-bytes']),
    maxMs: int('max-ms', values['max-ms']),
    maxRecords: int('max-records', values['max-records']),
    onFlush: (_batch, flush: BatchFlush) => {
      batches++;
      records += flush.records;
      bytes += flush.bytes;
      console.log(
        `batch ${String(batches).padStart(4)}  records ${String(flush.records).padStart(7)}  ` +
          `bytes ${String(flush.bytes).padStart(8)}  reason ${flush.reason.padEnd(8)}  ` +
          `waited ${seconds(flush.flushedAtMs - flush.openedAtMs)}  at +${seconds(flush.flushedAtMs - started)}`,
      );
    },
    scheduler: asyncScheduler,
  });
} catch (err) {
  console.error(`rx-firehose: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
}

generate(stop.signal)
  .pipe(buffer)
  .subscribe({
    error: (err: unknown) => {
      console.error(`rx-firehose: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    },
    complete: () => {
      console.log(`done: ${records} records, ${bytes} bytes in ${batches} batches, ${seconds(Date.now() - started)}`);
    },
  });
