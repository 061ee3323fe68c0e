import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { asyncScheduler, from, lastValueFrom, reduce } from 'rxjs';
import { bufferBySizeOrTime } from '../operators/bufferBySizeOrTime.js';
import { deliverTo } from '../operators/deliverTo.js';
import type { BuiltRequest } from '../src/destinations/Destination.js';
import { postgresDestination, type CopyRequest } from '../src/destinations/postgres/index.js';
import type { FirehoseRecord } from '../src/records/FirehoseRecord.js';
import { startPostgres } from '../test/support/postgres.js';
import { perSecond } from './measure.js';

const ROWS = 200_000;
const BATCH = 10_000;

const ROUNDS = 5;

/** Which pairs run, in this order: `BENCH_POSTGRES_MODES` (comma-separated `columns`, `jsonb`), default both. */
function modes(): ('columns' | 'jsonb')[] {
  const names = (process.env.BENCH_POSTGRES_MODES ?? 'columns,jsonb').split(',').map((m) => m.trim());
  for (const name of names)
    if (name !== 'columns' && name !== 'jsonb') throw new Error(`BENCH_POSTGRES_MODES: ${name} is neither columns nor jsonb`);
  return names as ('columns' | 'jsonb')[];
}

/**
 * Median wall times of `a` and `b` and the median of their per-round ratios (a ÷ b time), in rounds that
 * alternate which runs first (after one warm-up each), so that load from neighbours on a shared machine
 * weighs on both alike. `before` runs untimed before each run (truncating the tables).
 */
async function alternatingAsync(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  before: () => Promise<unknown>,
): Promise<{ aMs: number; bMs: number; ratio: number }> {
  const timed = async (work: () => Promise<unknown>): Promise<number> => {
    await before();
    (globalThis as { gc?: () => void }).gc?.();
    const start = process.hrtime.bigint();
    await work();
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  await timed(a);
  await timed(b);
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    if (i % 2 === 0) {
      as.push(await timed(a));
      bs.push(await timed(b));
    } else {
      bs.push(await timed(b));
      as.push(await timed(a));
    }
  }
  const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  return { aMs: median(as), bMs: median(bs), ratio: median(as.map((t, i) => t / bs[i]!)) };
}

/**
 * postgresDestination (JSON records → COPY FROM STDIN, one transaction and one batch-table row per batch)
 * against bare pg-copy-streams COPYs of the same rows, in the same batches, on the same PostgreSQL 15 (fsync
 * off), in the same run: the like-for-like baseline turns the same JSON records into rows with a minimal
 * loop (goal: the destination ≥ 0.8× of it); the ceiling gets rows already in COPY's text format. The
 * destination is measured through deliverTo and alone (build + send), to tell its cost from the engine's.
 */
export async function benchPostgres(): Promise<void> {
  const server = await startPostgres();
  const pool = new pg.Pool({ connectionString: server.url, max: 2 });
  pool.on('error', () => undefined);
  try {
    await pool.query('CREATE UNLOGGED TABLE bench (id int, "user" text, event text, page text)');
    await pool.query('CREATE UNLOGGED TABLE bench_json (doc jsonb)');
    const encoder = new TextEncoder();
    const docs = Array.from({ length: ROWS }, (_, i) => ({
      id: i,
      user: `user-${(i * 7919) % 10_007}`,
      event: i % 11 === 0 ? 'purchase' : 'click',
      page: `/p/${i % 997}`,
    }));
    const records: FirehoseRecord[] = docs.map((d, i) => ({
      recordId: String(i),
      data: encoder.encode(`${JSON.stringify(d)}\n`),
      approximateArrivalTimestamp: 0,
    }));
    const jsonBytes = records.reduce((n, r) => n + r.data.byteLength, 0);
    const textBatches: Buffer[] = [];
    for (let b = 0; b < ROWS; b += BATCH)
      textBatches.push(
        Buffer.from(
          docs
            .slice(b, b + BATCH)
            .map((d) => `${d.id}\t${d.user}\t${d.event}\t${d.page}\n`)
            .join(''),
          'utf8',
        ),
      );
    const textBytes = textBatches.reduce((n, b) => n + b.byteLength, 0);
    const truncate = () => pool.query('TRUNCATE bench, bench_json, rx_firehose_batches');
    await pool.query(
      'CREATE TABLE IF NOT EXISTS rx_firehose_batches (batch_id text PRIMARY KEY, target text NOT NULL, rows integer NOT NULL, rejected jsonb NOT NULL, committed_at timestamptz NOT NULL DEFAULT now())',
    );

    /** One COPY per batch on one connection: the bare pg-copy-streams load. */
    const copyBatches = async (table: string, bodies: () => Iterable<Buffer>): Promise<void> => {
      const client = await pool.connect();
      try {
        for (const body of bodies()) await pipeline(Readable.from([body]), client.query(copyFrom(`COPY ${table} FROM STDIN`)));
      } finally {
        client.release();
      }
    };
    // Baseline 1: rows already in COPY's text format (COPY's own speed).
    const bareText = () => copyBatches('bench (id, "user", event, page)', () => textBatches);
    // Baseline 2, the like-for-like one: the same JSON records turned into rows by a minimal hand-written loop.
    const bareFromJson = () =>
      copyBatches('bench (id, "user", event, page)', function* () {
        for (let b = 0; b < ROWS; b += BATCH) {
          let text = '';
          for (let i = b; i < b + BATCH; i++) {
            const d = JSON.parse(Buffer.from(records[i]!.data).toString('utf8')) as Record<string, unknown>;
            text += `${d.id}\t${d.user}\t${d.event}\t${d.page}\n`;
          }
          yield Buffer.from(text, 'utf8');
        }
      });
    // Baseline 3: the records' bytes as they are into one jsonb column (they hold no character COPY must escape).
    const bareJson = () =>
      copyBatches('bench_json (doc)', function* () {
        for (let b = 0; b < ROWS; b += BATCH) yield Buffer.concat(records.slice(b, b + BATCH).map((r) => r.data));
      });
    const through = (destination: ReturnType<typeof postgresDestination>) => () =>
      lastValueFrom(
        from(records).pipe(
          bufferBySizeOrTime({ maxRecords: BATCH, maxBytes: 1 << 30, maxMs: 60_000 }),
          deliverTo(destination),
          reduce((n, r) => n + r.records.length, 0),
        ),
      );
    // The destination alone: build and send per batch, as the engine calls them, without the engine.
    const direct = (destination: ReturnType<typeof postgresDestination>) => async () => {
      const context = { scheduler: asyncScheduler, signal: new AbortController().signal };
      for (let b = 0; b < ROWS; b += BATCH) {
        const batchId = `direct-${b}-${Math.random()}`;
        const built = (await destination.build(records.slice(b, b + BATCH), { ...context, batchId })) as BuiltRequest<CopyRequest>;
        await destination.send(built.request!, { ...context, batchId, attempt: 1 });
      }
    };
    const columns = postgresDestination({ pool, table: 'bench', columns: ['id', 'user', 'event', 'page'] });
    const json = postgresDestination({ pool, table: 'bench_json', jsonColumn: 'doc' });

    // Each contender alternates with its baseline, round by round (ratios are medians of the rounds' ratios).
    const mib = (bytes: number) => bytes / 1_048_576;
    const rate = (ms: number, bytes: number) => `${perSecond(ROWS, ms, 'rows')}, ${perSecond(mib(bytes), ms, 'MiB')}`;
    console.log(`PostgreSQL COPY, ${ROWS} JSON records in batches of ${BATCH}, ${ROUNDS} alternating rounds per pair:`);
    for (const mode of modes()) {
      if (mode === 'columns') {
        const columnsVs = await alternatingAsync(bareFromJson, through(columns), truncate);
        const columnsDirectVs = await alternatingAsync(bareFromJson, direct(columns), truncate);
        const ceilingVs = await alternatingAsync(bareText, through(columns), truncate);
        console.log(`  bare pg-copy-streams, rows already COPY text (ceiling):   ${rate(ceilingVs.aMs, textBytes)}`);
        console.log(`  bare pg-copy-streams, rows from the same JSON (baseline): ${rate(columnsVs.aMs, jsonBytes)}`);
        console.log(
          `  postgresDestination, columns, through deliverTo:         ${rate(columnsVs.bMs, jsonBytes)}  → ${columnsVs.ratio.toFixed(2)}× baseline (goal ≥ 0.8×), ${ceilingVs.ratio.toFixed(2)}× ceiling`,
        );
        console.log(
          `  postgresDestination, columns, build + send alone:        ${rate(columnsDirectVs.bMs, jsonBytes)}  → ${columnsDirectVs.ratio.toFixed(2)}× baseline`,
        );
      } else {
        const jsonVs = await alternatingAsync(bareJson, through(json), truncate);
        const jsonDirectVs = await alternatingAsync(bareJson, direct(json), truncate);
        console.log(`  bare pg-copy-streams, the records' bytes into jsonb:      ${rate(jsonVs.aMs, jsonBytes)}`);
        console.log(
          `  postgresDestination, one jsonb column, through deliverTo: ${rate(jsonVs.bMs, jsonBytes)}  → ${jsonVs.ratio.toFixed(2)}× that bare load (goal ≥ 0.8×)`,
        );
        console.log(
          `  postgresDestination, one jsonb column, build + send alone: ${rate(jsonDirectVs.bMs, jsonBytes)}  → ${jsonDirectVs.ratio.toFixed(2)}× that bare load`,
        );
      }
    }
  } finally {
    await pool.end();
    await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchPostgres();
