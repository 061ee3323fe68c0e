import { readFileSync } from 'node:fs';
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

/** Timed rounds per pair, after one warm-up of each: `BENCH_ROUNDS`, default 9. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);

/** Which pairs run, in this order: `BENCH_POSTGRES_MODES` (comma-separated `columns`, `jsonb`), default both. */
function modes(): ('columns' | 'jsonb')[] {
  const names = (process.env.BENCH_POSTGRES_MODES ?? 'columns,jsonb').split(',').map((m) => m.trim());
  for (const name of names)
    if (name !== 'columns' && name !== 'jsonb') throw new Error(`BENCH_POSTGRES_MODES: ${name} is neither columns nor jsonb`);
  return names as ('columns' | 'jsonb')[];
}

/**
 * CPU time in ms of the PostgreSQL server so far: the postmaster and its children (the backends, the WAL
 * writer, …), from `/proc/<pid>/schedstat` (time on a CPU, in ns). `undefined` where /proc cannot tell.
 */
function serverCpuMs(postmaster: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${postmaster}/task/${postmaster}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    let ns = 0;
    for (const pid of [String(postmaster), ...children]) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // A backend that ended meanwhile: its time is gone with it (the pool keeps them open).
      }
    }
    return ns / 1e6;
  } catch {
    return undefined;
  }
}

/** One run's wall time and CPU time (this process's, and the server's when known), in ms. */
interface RunMs {
  readonly wall: number;
  readonly cpu: number | undefined;
}

/** Medians of `a`'s and `b`'s runs, and medians of the per-round ratios (a ÷ b) of wall time and of CPU time. */
interface PairMs {
  readonly aMs: number;
  readonly bMs: number;
  readonly ratio: number;
  readonly aCpuMs: number | undefined;
  readonly bCpuMs: number | undefined;
  readonly cpuRatio: number | undefined;
}

const median = (xs: readonly number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

/**
 * `a` and `b` in rounds that alternate which runs first (after one warm-up each), so that load from
 * neighbours on a shared machine weighs on both alike; `before` runs untimed before each run (truncating
 * the tables). Each run is timed on the wall clock and in CPU time: this process's (`process.cpuUsage`,
 * every thread) plus the server's ({@link serverCpuMs}). On a loaded machine the wall clock also counts
 * the time each process waited for a core; CPU time does not (it varies too, with what shares the core and
 * its caches), so the two ratios tell waiting from work.
 * No forced garbage collection between runs: a full GC just before a run sets V8's next limit close to the
 * live heap (the 200,000 prepared records), so whichever run promotes anything pays a full mark of that
 * fixture; without it, collections fall where allocation makes them, as in a running pipeline.
 */
async function alternatingAsync(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  before: () => Promise<unknown>,
  postmaster: number,
): Promise<PairMs> {
  const timed = async (work: () => Promise<unknown>): Promise<RunMs> => {
    await before();
    const server = serverCpuMs(postmaster);
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    await work();
    const wall = Number(process.hrtime.bigint() - start) / 1e6;
    const used = process.cpuUsage(cpu);
    const serverAfter = serverCpuMs(postmaster);
    const serverMs = server === undefined || serverAfter === undefined ? undefined : serverAfter - server;
    return { wall, cpu: serverMs === undefined ? undefined : (used.user + used.system) / 1000 + serverMs };
  };
  await timed(a);
  await timed(b);
  const as: RunMs[] = [];
  const bs: RunMs[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    if (i % 2 === 0) {
      as.push(await timed(a));
      bs.push(await timed(b));
    } else {
      bs.push(await timed(b));
      as.push(await timed(a));
    }
  }
  const cpuKnown = [...as, ...bs].every((r) => r.cpu !== undefined);
  return {
    aMs: median(as.map((r) => r.wall)),
    bMs: median(bs.map((r) => r.wall)),
    ratio: median(as.map((r, i) => r.wall / bs[i]!.wall)),
    aCpuMs: cpuKnown ? median(as.map((r) => r.cpu!)) : undefined,
    bCpuMs: cpuKnown ? median(bs.map((r) => r.cpu!)) : undefined,
    cpuRatio: cpuKnown ? median(as.map((r, i) => r.cpu! / bs[i]!.cpu!)) : undefined,
  };
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
    // No autovacuum: its runs would land on one round or another (the tables are truncated before each run).
    await pool.query('CREATE UNLOGGED TABLE bench (id int, "user" text, event text, page text) WITH (autovacuum_enabled = false)');
    await pool.query('CREATE UNLOGGED TABLE bench_json (doc jsonb) WITH (autovacuum_enabled = false)');
    const docs = Array.from({ length: ROWS }, (_, i) => ({
      id: i,
      user: `user-${(i * 7919) % 10_007}`,
      event: i % 11 === 0 ? 'purchase' : 'click',
      page: `/p/${i % 997}`,
    }));
    // Each record's data a view into one buffer, as sources hand them (slices of the chunks they read), not
    // 200,000 buffers of their own that every full GC of this fixture would sweep.
    const lines = docs.map((d) => Buffer.from(`${JSON.stringify(d)}\n`, 'utf8'));
    const all = Buffer.concat(lines);
    let offset = 0;
    const records: FirehoseRecord[] = lines.map((line, i) => ({
      recordId: String(i),
      data: all.subarray(offset, (offset += line.byteLength)),
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
      'CREATE TABLE IF NOT EXISTS rx_firehose_batches (batch_id text PRIMARY KEY, target text NOT NULL, rows integer NOT NULL, rejected jsonb NOT NULL, committed_at timestamptz NOT NULL DEFAULT now()) WITH (autovacuum_enabled = false)',
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
    const pair = (a: () => Promise<unknown>, b: () => Promise<unknown>) => alternatingAsync(a, b, truncate, server.pid);
    const cpu = (vs: PairMs, side: 'a' | 'b') => {
      const ms = side === 'a' ? vs.aCpuMs : vs.bCpuMs;
      return ms === undefined ? '' : `, CPU ${ms.toFixed(0)} ms`;
    };
    const cpuRatio = (vs: PairMs) => (vs.cpuRatio === undefined ? '' : `, in CPU time ${vs.cpuRatio.toFixed(2)}×`);
    const goal = (what: string, vs: PairMs) =>
      console.log(
        `  ${vs.ratio >= 0.8 ? 'PASS' : 'FAIL'} ${what} ÷ bare load, rows/s: ${vs.ratio.toFixed(2)}× (goal ≥ 0.80×)${cpuRatio(vs)}`,
      );
    console.log(
      `PostgreSQL COPY, ${ROWS} JSON records in batches of ${BATCH}, ${ROUNDS} alternating rounds per pair (medians; CPU = this process + the server):`,
    );
    for (const mode of modes()) {
      if (mode === 'columns') {
        const columnsVs = await pair(bareFromJson, through(columns));
        const columnsDirectVs = await pair(bareFromJson, direct(columns));
        const ceilingVs = await pair(bareText, through(columns));
        console.log(`  bare pg-copy-streams, rows already COPY text (ceiling):   ${rate(ceilingVs.aMs, textBytes)}${cpu(ceilingVs, 'a')}`);
        console.log(`  bare pg-copy-streams, rows from the same JSON (baseline): ${rate(columnsVs.aMs, jsonBytes)}${cpu(columnsVs, 'a')}`);
        console.log(
          `  postgresDestination, columns, through deliverTo:         ${rate(columnsVs.bMs, jsonBytes)}${cpu(columnsVs, 'b')}  → ${columnsVs.ratio.toFixed(2)}× baseline${cpuRatio(columnsVs)}; ${ceilingVs.ratio.toFixed(2)}× ceiling`,
        );
        console.log(
          `  postgresDestination, columns, build + send alone:        ${rate(columnsDirectVs.bMs, jsonBytes)}${cpu(columnsDirectVs, 'b')}  → ${columnsDirectVs.ratio.toFixed(2)}× baseline${cpuRatio(columnsDirectVs)}`,
        );
        goal('postgresDestination (columns, through deliverTo)', columnsVs);
      } else {
        const jsonVs = await pair(bareJson, through(json));
        const jsonDirectVs = await pair(bareJson, direct(json));
        console.log(`  bare pg-copy-streams, the records' bytes into jsonb:      ${rate(jsonVs.aMs, jsonBytes)}${cpu(jsonVs, 'a')}`);
        console.log(
          `  postgresDestination, one jsonb column, through deliverTo: ${rate(jsonVs.bMs, jsonBytes)}${cpu(jsonVs, 'b')}  → ${jsonVs.ratio.toFixed(2)}× that bare load${cpuRatio(jsonVs)}`,
        );
        console.log(
          `  postgresDestination, one jsonb column, build + send alone: ${rate(jsonDirectVs.bMs, jsonBytes)}${cpu(jsonDirectVs, 'b')}  → ${jsonDirectVs.ratio.toFixed(2)}× that bare load${cpuRatio(jsonDirectVs)}`,
        );
        goal('postgresDestination (one jsonb column, through deliverTo)', jsonVs);
      }
    }
  } finally {
    await pool.end();
    await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchPostgres();
