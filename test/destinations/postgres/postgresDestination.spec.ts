import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverTo } from '../../../operators/index.js';
import { directoryDestination } from '../../../src/destinations/directory/index.js';
import { postgresDestination, type CopyRequest } from '../../../src/destinations/postgres/index.js';
import {
  DeliveryError,
  deliveryStreamFromConfig,
  InvalidOptionError,
  toRecords,
  type Destination,
  type FirehoseRecord,
  type SendOutcome,
} from '../../../src/index.js';
import { trackSettlements } from '../../../src/testing/index.js';
import { usePostgres } from '../../support/postgres.js';
import { readFailureRecords } from '../../support/readFailureRecords.js';
import { IdleVirtualTime } from '../redshift/idleVirtualTime.js';
import { describeDestinationConformance } from '../conformance.js';

const db = usePostgres();
let errorsDir = '';
beforeAll(async () => {
  errorsDir = await mkdtemp(join(tmpdir(), 'rx-firehose-postgres-'));
});
afterAll(() => rm(errorsDir, { recursive: true, force: true }));

const ARRIVAL = Date.UTC(2026, 11, 2, 9, 0);
const recordsOf = (docs: readonly unknown[]): FirehoseRecord[] =>
  docs.map((doc, i) => ({
    recordId: `r${i}`,
    data: new TextEncoder().encode(`${typeof doc === 'string' ? doc : JSON.stringify(doc)}\n`),
    approximateArrivalTimestamp: ARRIVAL + i,
  }));
let n = 0;
const fresh = async (ddl: string): Promise<string> => {
  const table = `t${++n}`;
  await db.pool.query(`CREATE TABLE ${table} ${ddl}`);
  return table;
};
let outputs = 0;
/** Delivers the batches with a fresh error output; `readFailures` reads what it holds. */
const deliver = async (destination: Destination, batches: FirehoseRecord[][], options: object = {}) => {
  const path = join(errorsDir, String(++outputs));
  const errorOutput = directoryDestination({ path, streamName: 'pg', fsync: false });
  const results = await lastValueFrom(from(batches).pipe(deliverTo(destination, { errorOutput, ...options }), toArray()));
  return Object.assign(results, { readFailures: () => readFailureRecords(path) });
};

describe('postgresDestination', () => {
  it('should refuse invalid options at the call, naming the option', () => {
    const pool = db.pool;
    expect(() => postgresDestination({ pool, table: 'x' })).toThrow(InvalidOptionError);
    expect(() => postgresDestination({ pool, table: 'x', columns: ['a'], jsonColumn: 'b' })).toThrow(/columns/);
    expect(() => postgresDestination({ pool, table: 'a b', jsonColumn: 'doc' })).toThrow(/table/);
    expect(() => postgresDestination({ pool, table: 'x', columns: [] })).toThrow(/columns/);
    expect(() => postgresDestination({ pool, table: 'x', columns: ['a', 'a'] })).toThrow(/distinct/);
    expect(() => postgresDestination({ pool, table: 'x', jsonColumn: 'doc', retryDurationMs: 7_200_001 })).toThrow(
      /retryDurationMs must be .*≤ 7200000 \(ms\); got 7200001/,
    );
    expect(() => postgresDestination({ pool: {} as never, table: 'x', jsonColumn: 'doc' })).toThrow(/pool/);
    expect(postgresDestination({ pool, table: 'x', jsonColumn: 'doc' })).toMatchObject({ name: 'Postgres', retryDurationMs: 3_600_000 });
  });

  it('should load rows equal to the records, field by field, with SQL NULL for missing fields and text that needs escaping', async () => {
    const table = await fresh('(id int PRIMARY KEY, name text, tags jsonb, ok boolean)');
    const docs = [
      { id: 1, name: 'plain', tags: ['a'], ok: true },
      { id: 2, name: 'tab\there, newline\nthere, back\\slash', tags: { k: 'v\\n' }, ok: false },
      { id: 3, name: null },
      { id: 4, name: 'ünïcödé ✓', extra: 'ignored' },
    ];
    const records = recordsOf(docs);
    const log = trackSettlements(records);
    const [result] = await deliver(postgresDestination({ pool: db.pool, table, columns: ['id', 'name', 'tags', 'ok'] }), [records]);
    expect(result).toMatchObject({ status: 'delivered', attempts: 1, failed: [] });
    const { rows } = await db.pool.query(`SELECT id, name, tags, ok FROM ${table} ORDER BY id`);
    expect(rows).toEqual([
      { id: 1, name: 'plain', tags: ['a'], ok: true },
      { id: 2, name: 'tab\there, newline\nthere, back\\slash', tags: { k: 'v\\n' }, ok: false },
      { id: 3, name: null, tags: null, ok: null },
      { id: 4, name: 'ünïcödé ✓', tags: null, ok: null },
    ]);
    expect(log.events.map((e) => e.outcome)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
  });

  it('should load each record whole into one jsonb column, pretty-printed JSON and backslashes included', async () => {
    const table = await fresh('(doc jsonb NOT NULL)');
    const docs = ['{\n\t"a": "x\\"y\\\\z",\r\n  "b": [1, 2]\n}', '{"c":"\\u00e9"}'];
    await deliver(postgresDestination({ pool: db.pool, table, jsonColumn: 'doc' }), [recordsOf(docs)]);
    const { rows } = await db.pool.query(`SELECT doc FROM ${table}`);
    expect(rows.map((r) => r.doc)).toEqual([{ a: 'x"y\\z', b: [1, 2] }, { c: 'é' }]);
  });

  it('should send a jsonb row the database rejects to the error output with its message, and load the rest byte for byte', async () => {
    const table = await fresh('(doc jsonb NOT NULL)');
    const bytes = (text: string) => new TextEncoder().encode(text);
    // Escapes first (the body grows), a record without a newline, one with trailing blanks, one that is not JSON.
    const datas = [
      bytes('{"p":"\\\\a\\\\b\\\\c"}\n'),
      bytes('{"n":1}'),
      bytes('{"t":"\\t"} \r\n'),
      bytes('{"bad":\n'),
      bytes('{"z":[]}\n'),
    ];
    const records: FirehoseRecord[] = datas.map((data, i) => ({ recordId: `j${i}`, data, approximateArrivalTimestamp: ARRIVAL + i }));
    const results = await deliver(postgresDestination({ pool: db.pool, table, jsonColumn: 'doc' }), [records]);
    expect(results[0]).toMatchObject({ status: 'failed-to-error-output', failed: [records[3]] });
    const { rows } = await db.pool.query(`SELECT doc FROM ${table}`);
    expect(rows.map((r) => r.doc)).toEqual([{ p: '\\a\\b\\c' }, { n: 1 }, { t: '\t' }, { z: [] }]);
    const failures = await results.readFailures();
    expect(failures.map((f) => [f.errorCode, f.errorMessage])).toEqual([
      ['Postgres.22P02', expect.stringContaining('invalid input syntax for type json')],
    ]);
    // One-line records as they are; a line break inside a record (valid JSON) must still be escaped.
    const other = await fresh('(doc jsonb NOT NULL)');
    const plain = [bytes('{"a":1}\n'), bytes('{"b":2}\n')];
    const broken = [bytes('{"c":3}\n'), bytes('{"d":\n4}\n')];
    const batches = [plain, broken].map((batch, b) =>
      batch.map((data, i): FirehoseRecord => ({ recordId: `k${b}${i}`, data, approximateArrivalTimestamp: ARRIVAL + i })),
    );
    const delivered = await deliver(postgresDestination({ pool: db.pool, table: other, jsonColumn: 'doc' }), batches);
    expect(delivered.map((r) => r.status)).toEqual(['delivered', 'delivered']);
    const loaded = await db.pool.query(`SELECT doc FROM ${other}`);
    expect(loaded.rows.map((r) => r.doc)).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }, { d: 4 }]);
  });

  it('should fill columns from an all-ASCII batch with escapes, and fail records that are not UTF-8 alone even when the batch is', async () => {
    const table = await fresh('(id int, name text)');
    const bytes = (text: string) => new TextEncoder().encode(text);
    const ascii = recordsOf([
      { id: 1, name: 'a\tb\\c\nd' },
      { id: 2, name: 'plain' },
    ]);
    const [first] = await deliver(postgresDestination({ pool: db.pool, table, columns: ['id', 'name'] }), [ascii]);
    expect(first).toMatchObject({ status: 'delivered', failed: [] });
    // "é" is C3 A9: split across two records, the batch's bytes are UTF-8, neither record is.
    const split = [
      bytes('{"id":3,"name":"\u00e9"}\n'),
      Uint8Array.of(...bytes('{"id":4,"name":"'), 0xc3),
      Uint8Array.of(0xa9, ...bytes('"}\n')),
    ];
    const records: FirehoseRecord[] = split.map((data, i) => ({ recordId: `u${i}`, data, approximateArrivalTimestamp: ARRIVAL + i }));
    const results = await deliver(postgresDestination({ pool: db.pool, table, columns: ['id', 'name'] }), [records]);
    expect(results[0]).toMatchObject({ status: 'failed-to-error-output', failed: [records[1], records[2]] });
    const failures = await results.readFailures();
    expect(failures.map((f) => [f.errorCode, f.errorMessage])).toEqual([
      ['Postgres.InvalidRecord', 'the record is not UTF-8 text'],
      ['Postgres.InvalidRecord', 'the record is not UTF-8 text'],
    ]);
    const { rows } = await db.pool.query(`SELECT id, name FROM ${table} ORDER BY id`);
    expect(rows).toEqual([
      { id: 1, name: 'a\tb\\c\nd' },
      { id: 2, name: 'plain' },
      { id: 3, name: 'é' },
    ]);
  });

  it('should commit the rows that fit and send the rows the database rejects to the error output, with its message', async () => {
    const table = await fresh(`(id int PRIMARY KEY, name text NOT NULL CHECK (name <> 'bad'))`);
    await db.pool.query(`INSERT INTO ${table} VALUES (100, 'already there')`);
    const docs = [
      { id: 1, name: 'a' },
      { id: 2, name: 'bad' }, // check constraint
      { id: 3, name: 'c' },
      { id: 1, name: 'again' }, // unique, within the batch
      { id: 100, name: 'x' }, // unique, against the table
      { id: 'six', name: 'f' }, // not an integer
      { id: 7 }, // not null
      { id: 8, name: 'h' },
      'not json',
    ];
    const records = recordsOf(docs);
    const log = trackSettlements(records);
    const results = await deliver(postgresDestination({ pool: db.pool, table, columns: ['id', 'name'] }), [records]);
    const result = results[0];
    expect(result).toMatchObject({ status: 'failed-to-error-output', attempts: 1 });
    expect(result!.failed).toEqual([records[1], records[3], records[4], records[5], records[6], records[8]]);
    const { rows } = await db.pool.query(`SELECT id, name FROM ${table} ORDER BY id`);
    expect(rows).toEqual([
      { id: 1, name: 'a' },
      { id: 3, name: 'c' },
      { id: 8, name: 'h' },
      { id: 100, name: 'already there' },
    ]);
    const failures = (await results.readFailures()).sort((a, b) => a.arrivalTimestamp - b.arrivalTimestamp);
    expect(failures.map((f) => [f.errorCode, f.errorMessage])).toEqual([
      ['Postgres.23514', expect.stringContaining('violates check constraint')],
      ['Postgres.23505', expect.stringContaining('Key (id)=(1) already exists')],
      ['Postgres.23505', expect.stringContaining('Key (id)=(100) already exists')],
      ['Postgres.22P02', expect.stringContaining('invalid input syntax for type integer: "six"')],
      ['Postgres.23502', expect.stringContaining('null value in column "name"')],
      ['Postgres.InvalidRecord', expect.stringContaining('not JSON')],
    ]);
    expect(failures.every((f) => f.attemptsMade === 1)).toBe(true);
    expect(log.events.map((e) => e.outcome)).toEqual([
      'delivered',
      'failed',
      'delivered',
      'failed',
      'failed',
      'failed',
      'failed',
      'delivered',
      'failed',
    ]);
  });

  it('should not load a batch twice when its commit was not answered, and report the same rejected rows again', async () => {
    const table = await fresh(`(id int PRIMARY KEY)`);
    const real = postgresDestination({ pool: db.pool, table, columns: ['id'] });
    let sends = 0;
    // A test double around the real service: the first send commits, then its answer is lost.
    const answerLost: Destination = {
      ...real,
      build: real.build,
      async send(request, attempt) {
        const outcome = await (real.send(request as CopyRequest, attempt) as Promise<SendOutcome>);
        if (++sends === 1) throw new DeliveryError('Postgres.ConnectionReset', 'the answer to COMMIT was lost');
        return outcome;
      },
    };
    const records = recordsOf([{ id: 1 }, { id: 1 }, { id: 2 }]);
    const [result] = await deliver(answerLost, [records], { backoff: { initialMs: 1, maxMs: 1 } });
    expect(result).toMatchObject({ status: 'failed-to-error-output', attempts: 2, failed: [records[1]] });
    expect(result!.errorCode).toBe('Postgres.23505');
    expect((await db.pool.query(`SELECT id FROM ${table} ORDER BY id`)).rows).toEqual([{ id: 1 }, { id: 2 }]);
    const batches = await db.pool.query(`SELECT target, rows, rejected FROM rx_firehose_batches WHERE target = $1`, [table]);
    expect(batches.rows).toEqual([
      { target: table, rows: 2, rejected: [expect.objectContaining({ index: 1, errorCode: 'Postgres.23505' })] },
    ]);
  });

  it('should load a clean batch and its batch-table row in one transaction, and not load it again when its answer was lost', async () => {
    const table = await fresh('(doc jsonb NOT NULL)');
    const real = postgresDestination({ pool: db.pool, table, jsonColumn: 'doc' });
    let sends = 0;
    const answerLost: Destination = {
      ...real,
      async send(request, attempt) {
        const outcome = await (real.send(request as CopyRequest, attempt) as Promise<SendOutcome>);
        if (++sends === 1) throw new DeliveryError('Postgres.ConnectionReset', 'the answer to the COPY was lost');
        return outcome;
      },
    };
    const records = recordsOf([{ a: 1 }, { a: 2 }]);
    const [result] = await deliver(answerLost, [records], { backoff: { initialMs: 1, maxMs: 1 } });
    expect(result).toMatchObject({ status: 'delivered', attempts: 2 });
    expect((await db.pool.query(`SELECT doc FROM ${table}`)).rows).toEqual([{ doc: { a: 1 } }, { doc: { a: 2 } }]);
    const batches = await db.pool.query(`SELECT rows, rejected FROM rx_firehose_batches WHERE target = $1`, [table]);
    expect(batches.rows).toEqual([{ rows: 2, rejected: [] }]);
  });

  it('should retry a batch whose table is missing within the retry duration (virtual time), then write it to the error output', async () => {
    const clock = new IdleVirtualTime();
    const destination = clock.track(
      postgresDestination({ pool: db.pool, table: 'missing_table', jsonColumn: 'doc', retryDurationMs: 60_000 }),
    );
    const records = recordsOf([{ a: 1 }, { a: 2 }]);
    const log = trackSettlements(records);
    const results = await deliver(destination, [records], { scheduler: clock.scheduler, random: () => 0.5 });
    const result = results[0];
    // Firehose's backoff (1 s, ×2, ≤ 120 s, no jitter here): attempts at 0, 1, 3, 7, 15, 31 s; the next (63 s) would start past 60 s.
    expect(clock.sends.map((s) => s.atMs)).toEqual([0, 1_000, 3_000, 7_000, 15_000, 31_000]);
    expect(result).toMatchObject({ status: 'failed-to-error-output', attempts: 6, errorCode: 'Postgres.42P01' });
    const failures = await results.readFailures();
    expect(failures.map((f) => [f.errorCode, f.errorMessage, f.attemptsMade])).toEqual([
      ['Postgres.42P01', 'relation "missing_table" does not exist', 6],
      ['Postgres.42P01', 'relation "missing_table" does not exist', 6],
    ]);
    expect(log.events.map((e) => e.outcome)).toEqual(['failed', 'failed']);
    // Each failed COPY took the batch's row with it (else a retry would have found it and called the batch loaded).
    expect((await db.pool.query(`SELECT 1 FROM rx_firehose_batches WHERE target = 'missing_table'`)).rows).toEqual([]);
  });

  it('should run from an RxFirehosePostgreSQLDestinationConfiguration (an rx-firehose extension), and end its pool with the stream', async () => {
    const table = await fresh('(id int PRIMARY KEY, kind text)');
    const dataDir = await mkdtemp(join(errorsDir, 'config-'));
    // The stream connects as a user of its own: its connections are the only ones of that user.
    await db.pool.query('CREATE ROLE config_loader LOGIN SUPERUSER');
    const connections = async () =>
      (await db.pool.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = 'config_loader'`)).rows[0].n as number;
    const stream = deliveryStreamFromConfig(
      {
        DeliveryStreamName: 'events',
        RxFirehosePostgreSQLDestinationConfiguration: {
          ConnectionString: db.server.url.replace('//postgres@', '//config_loader@'),
          TableName: table,
          Columns: ['id', 'kind'],
          S3Configuration: { RoleARN: 'arn:aws:iam::123456789012:role/firehose', BucketARN: 'arn:aws:s3:::failures' },
        },
      } as never,
      { dataDir, records: from(['{"id":1,"kind":"a"}', '{"id":1,"kind":"dup"}', '{"id":2,"kind":"b"}']).pipe(toRecords()) },
    );
    const summary = await stream.done;
    expect(summary).toMatchObject({ deliveredRecords: 2, errorOutputRecords: 1 });
    expect((await db.pool.query(`SELECT id, kind FROM ${table} ORDER BY id`)).rows).toEqual([
      { id: 1, kind: 'a' },
      { id: 2, kind: 'b' },
    ]);
    const failures = await readFailureRecords(join(dataDir, 'failures'));
    expect(failures.map((f) => f.errorCode)).toEqual(['Postgres.23505']);
    // The pool was ended before `done` (left open, its idle connection would stay 10 s); the backend goes a moment later.
    const deadline = Date.now() + 3_000;
    let left = await connections();
    while (left > 0 && Date.now() < deadline) left = await connections();
    expect(left).toBe(0);
  });
});

let tables = 0;

describeDestinationConformance('postgresDestination (to PostgreSQL 15 on 127.0.0.1)', {
  // One transaction per batch: a batch is one wire request, resent whole, and committed once.
  oneWireRequestPerBatch: true,
  create: async () => {
    const table = `conformance_${++tables}`;
    // A json column keeps each record's text as it was sent.
    await db.pool.query(`CREATE TABLE ${table} (doc json NOT NULL)`);
    const errors = await mkdtemp(join(tmpdir(), 'rx-firehose-postgres-conformance-'));
    return {
      destination: postgresDestination({ pool: db.pool, table, jsonColumn: 'doc' }),
      errorOutput: directoryDestination({ path: errors, streamName: 'conformance', fsync: false }),
      readDelivered: async () => (await db.pool.query<{ doc: string }>(`SELECT doc::text AS doc FROM ${table}`)).rows.map((r) => r.doc),
      readFailures: () => readFailureRecords(errors),
      close: async () => {
        await db.pool.query(`DROP TABLE ${table}`);
        await rm(errors, { recursive: true, force: true });
      },
    };
  },
});
