import { Buffer } from 'node:buffer';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { directoryDestination, InvalidOptionError, parquetConversion, toRecords, type ParquetColumn } from '../../../src/index.js';
import { bufferBySizeOrTime, deliverTo } from '../../../src/index.js';
import { trackSettlements } from '../../../src/testing/index.js';
import { filesUnder } from '../../config/support.js';
import { useDuckDb } from './readParquet.js';

const duck = useDuckDb();

const columns: ParquetColumn[] = [
  { name: 'user', type: 'string' },
  { name: 'clicks', type: 'int' },
  { name: 'total', type: 'bigint' },
  { name: 'ratio', type: 'double' },
  { name: 'score', type: 'float' },
  { name: 'ok', type: 'boolean' },
  { name: 'at', type: 'timestamp' },
];

describe('parquetConversion with a directory destination', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rx-firehose-parquet-out-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Delivers `lines` as one batch and returns the files written, by key. */
  async function deliver(lines: string[], compression?: 'SNAPPY' | 'GZIP' | 'UNCOMPRESSED') {
    const parquet = parquetConversion({ columns, ...(compression === undefined ? {} : { compression }) });
    const lake = directoryDestination({ path: dir, streamName: 'clicks', dataFormatConversion: parquet, fsync: false });
    const results = await lastValueFrom(
      from(lines).pipe(toRecords(), bufferBySizeOrTime({ maxBytes: 64 << 20 }), deliverTo(lake, { errorOutput: lake }), toArray()),
    );
    return { results, files: await filesUnder(dir) };
  }

  it.each(['SNAPPY', 'GZIP', 'UNCOMPRESSED'] as const)(
    'should write one %s Parquet object with one row group that DuckDB reads back with the schema types',
    async (compression) => {
      const { results, files } = await deliver(
        [
          '{"user":"ana","clicks":3,"total":"9007199254740993","ratio":0.25,"score":1.5,"ok":true,"at":"2026-01-02 03:04:05.678"}\n',
          '{"USER":"bo","Clicks":"7","extra":{"ignored":true},"at":1767323045000}',
          '{"user":null}',
        ],
        compression,
      );
      expect(results).toMatchObject([{ status: 'delivered', failed: [] }]);
      const keys = [...files.keys()];
      expect(keys).toEqual([
        expect.stringMatching(/^\d{4}\/\d{2}\/\d{2}\/\d{2}\/clicks-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}\.parquet$/),
      ]);
      const back = await duck.read(files.get(keys[0]!)!);
      expect(back.rowGroups).toBe(1);
      expect(back.codecs).toEqual([compression]);
      expect(back.types).toEqual({
        user: 'VARCHAR',
        clicks: 'INTEGER',
        total: 'BIGINT',
        ratio: 'DOUBLE',
        score: 'FLOAT',
        ok: 'BOOLEAN',
        at: 'TIMESTAMP',
      });
      expect(back.rows).toEqual([
        { user: 'ana', clicks: 3, total: 9007199254740993n, ratio: 0.25, score: 1.5, ok: true, at: new Date('2026-01-02T03:04:05.678Z') },
        { user: 'bo', clicks: 7, total: null, ratio: null, score: null, ok: null, at: new Date(1767323045000) },
        { user: null, clicks: null, total: null, ratio: null, score: null, ok: null, at: null },
      ]);
    },
  );

  it('should deliver what converts and write the rest under format-conversion-failed/ with the reason and the raw record', async () => {
    const bad = ['not json', '[1,2]', '{"clicks":2147483648}', '{"ok":"yes"}', '{"at":"2026-02-30 00:00:00"}'];
    const { results, files } = await deliver(['{"user":"a"}', ...bad, '{"user":"z"}']);
    expect(results).toMatchObject([{ status: 'failed-to-error-output' }]);
    expect(results[0]!.failed).toHaveLength(bad.length);
    const parquetKeys = [...files.keys()].filter((k) => k.endsWith('.parquet'));
    expect(parquetKeys).toHaveLength(1);
    expect((await duck.read(files.get(parquetKeys[0]!)!)).rows.map((r) => r.user)).toEqual(['a', 'z']);
    const errorKeys = [...files.keys()].filter((k) => k.startsWith('format-conversion-failed/'));
    expect(errorKeys).toEqual([expect.stringMatching(/^format-conversion-failed\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/clicks-1-[^.]*$/)]);
    const failures = files
      .get(errorKeys[0]!)!
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(failures.map((f) => Buffer.from(f.rawData, 'base64').toString('utf8'))).toEqual(bad);
    expect(failures.map((f) => f.errorCode)).toEqual([
      'DataFormatConversion.MalformedJson',
      'DataFormatConversion.MalformedJson',
      'DataFormatConversion.SchemaMismatch',
      'DataFormatConversion.SchemaMismatch',
      'DataFormatConversion.SchemaMismatch',
    ]);
    expect(failures[2].errorMessage).toContain('"clicks"');
  });

  it('should settle every record exactly once: delivered ones after the Parquet object, failed ones after their failure records', async () => {
    const records = ['{"user":"a"}', 'nope', '{"clicks":"x"}', '{"user":"b"}'].map((data, i) => ({
      recordId: `r${i}`,
      data: Buffer.from(data),
      approximateArrivalTimestamp: 1_000,
    }));
    const log = trackSettlements(records);
    const lake = directoryDestination({ path: dir, dataFormatConversion: parquetConversion({ columns }), fsync: false });
    await lastValueFrom(from(records).pipe(bufferBySizeOrTime({ maxBytes: 64 << 20 }), deliverTo(lake, { errorOutput: lake })));
    expect(log.unsettled()).toEqual([]);
    expect([0, 1, 2, 3].map((i) => log.count(i))).toEqual([1, 1, 1, 1]);
    expect(log.events.map((e) => [e.index, e.outcome]).sort()).toEqual([
      [0, 'delivered'],
      [1, 'failed'],
      [2, 'failed'],
      [3, 'delivered'],
    ]);
  });

  it('should write one Parquet file, of one row group, per partition with dynamic partitioning', async () => {
    const records = [
      { data: '{"user":"a1"}', partitionKeys: { team: 'a' } },
      { data: '{"user":"b1"}', partitionKeys: { team: 'b' } },
      { data: '{"user":"a2"}', partitionKeys: { team: 'a' } },
      { data: '{"clicks":0.5}', partitionKeys: { team: 'b' } },
    ].map((r, i) => ({ ...r, recordId: `r${i}`, data: Buffer.from(r.data), approximateArrivalTimestamp: 1_000 }));
    const lake = directoryDestination({
      path: dir,
      prefix: 'team=!{partitionKeyFromLambda:team}/',
      errorOutputPrefix: 'errors/!{firehose:error-output-type}/',
      dynamicPartitioning: true,
      dataFormatConversion: parquetConversion({ columns }),
      fsync: false,
    });
    await lastValueFrom(from(records).pipe(bufferBySizeOrTime({ maxBytes: 64 << 20 }), deliverTo(lake, { errorOutput: lake })));
    const files = await filesUnder(dir);
    const byTeam = new Map<string, unknown[]>();
    for (const [key, body] of files) {
      const team = /^team=(\w+)\//.exec(key)?.[1];
      if (team === undefined) continue;
      expect(key).toMatch(/\.parquet$/);
      const back = await duck.read(body);
      expect(back.rowGroups).toBe(1);
      byTeam.set(
        team,
        back.rows.map((r) => r.user),
      );
    }
    expect(Object.fromEntries(byTeam)).toEqual({ a: ['a1', 'a2'], b: ['b1'] });
    expect([...files.keys()].filter((k) => k.startsWith('errors/format-conversion-failed/'))).toHaveLength(1);
  });

  it('should write nothing but the failures when no record converts', async () => {
    const { results, files } = await deliver(['{', '{"clicks":1.5}']);
    expect(results).toMatchObject([{ status: 'failed-to-error-output' }]);
    expect([...files.keys()].every((k) => k.startsWith('format-conversion-failed/'))).toBe(true);
  });
});

// In-process (workerThreads: 0), for speed: worker threads run the same code (conversionWorkers.spec.ts compares them).
describe('parquetConversion values', () => {
  const row = fc.record(
    {
      user: fc.option(fc.string({ unit: 'binary' }), { nil: null }),
      clicks: fc.option(fc.integer(), { nil: null }),
      total: fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { nil: null }),
      ratio: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
      ok: fc.option(fc.boolean(), { nil: null }),
      at: fc.option(fc.integer({ min: -62135596800000, max: 253402300799999 }), { nil: null }),
    },
    { requiredKeys: [] },
  );

  it('should read back, through DuckDB, exactly the values of any JSON rows that fit the schema', async () => {
    const schema = columns.filter((c) => c.name !== 'score');
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 50 }), async (rows) => {
        const conversion = parquetConversion({ columns: schema, compression: 'SNAPPY', workerThreads: 0 });
        // bigint as a JSON string (JSON numbers lose precision past 2^53), the rest as JSON values.
        const texts = rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
        const records = texts.map((data) => ({ data }));
        expect(await conversion.check(records)).toEqual({ items: records.map((_r, i) => i), failed: [] });
        const back = await duck.read(await conversion.encode(records));
        expect(back.rows).toEqual(
          rows.map((r) => ({
            user: r.user ?? null,
            clicks: r.clicks ?? null,
            total: r.total ?? null,
            ratio: r.ratio === undefined || r.ratio === null ? null : r.ratio === 0 ? 0 : r.ratio, // JSON writes -0 as 0
            ok: r.ok ?? null,
            at: r.at === undefined || r.at === null ? null : new Date(r.at),
          })),
        );
      }),
      { numRuns: 25 },
    );
  });

  it.each([
    ['int', '{"v":2147483647}', 2147483647],
    ['int', '{"v":"-12"}', -12],
    ['double', '{"v":"1e3"}', 1000],
    ['string', '{"v":12.5}', '12.5'],
    ['string', '{"v":{"a":[1]}}', '{"a":[1]}'],
    ['boolean', '{"v":"false"}', false],
    ['timestamp', '{"v":"2026-01-02T03:04:05+01:00"}', new Date('2026-01-02T02:04:05Z')],
  ] as const)('should convert a %s column from %s', async (type, text, expected) => {
    const conversion = parquetConversion({ columns: [{ name: 'v', type }], workerThreads: 0 });
    expect((await conversion.check([{ data: text }])).failed).toEqual([]);
    expect((await duck.read(await conversion.encode([{ data: text }]))).rows).toEqual([{ v: expected }]);
  });

  it.each([
    ['int', '{"v":1.5}'],
    ['int', '{"v":-2147483649}'],
    ['bigint', '{"v":"9223372036854775808"}'],
    ['float', '{"v":1e39}'],
    ['double', '{"v":"abc"}'],
    ['boolean', '{"v":1}'],
    ['timestamp', '{"v":"yesterday"}'],
    ['timestamp', '{"v":true}'],
  ] as const)('should refuse a %s column from %s as a schema mismatch', async (type, text) => {
    const conversion = parquetConversion({ columns: [{ name: 'v', type }], workerThreads: 0 });
    expect((await conversion.check([{ data: text }])).failed).toEqual([
      {
        index: 0,
        errorCode: 'DataFormatConversion.SchemaMismatch',
        errorMessage: expect.stringContaining(`is not a ${type}`),
        retriable: false,
      },
    ]);
  });

  it('should read several JSON objects written one after the other in a record as rows, and fail the whole record if one fails', async () => {
    const conversion = parquetConversion({ columns: [{ name: 'v', type: 'int' }], workerThreads: 0 });
    const records = [{ data: '{"v":1}{"v":2}\n {"v":"}{"} ' }, { data: '{"v":3} \n{"v":4}\n' }];
    expect(
      (
        await conversion.check([{ data: '{"v":3}{"v":"x"}' }, { data: '[{"v":1},{"v":2}]' }, { data: '{"v":1} 2' }, { data: '{"v":1' }])
      ).failed.map((f) => f.errorCode),
    ).toEqual([
      'DataFormatConversion.SchemaMismatch',
      'DataFormatConversion.MalformedJson',
      'DataFormatConversion.MalformedJson',
      'DataFormatConversion.MalformedJson',
    ]);
    expect((await conversion.check([{ data: '{"v":"}{"}' }])).failed).toHaveLength(1); // a brace inside a string is text: "}{" is not an int
    expect((await conversion.check(records)).failed).toEqual([
      { index: 0, errorCode: 'DataFormatConversion.SchemaMismatch', errorMessage: expect.any(String), retriable: false },
    ]);
    const ok = [{ data: '{"v":1}{"v":2}\n' }, { data: '{"v":3} \n{"v":4}\n' }];
    expect((await conversion.check(ok)).failed).toEqual([]);
    expect((await duck.read(await conversion.encode(ok))).rows).toEqual([{ v: 1 }, { v: 2 }, { v: 3 }, { v: 4 }]);
  });

  it('should write the file check wrote when encode gets the same records, and convert others again', async () => {
    const conversion = parquetConversion({ columns: [{ name: 'v', type: 'int' }], workerThreads: 0 });
    const records = [{ data: '{"v":1}' }, { data: '{"v":2}' }, { data: '{"v":3}' }];
    await conversion.check(records);
    expect((await duck.read(await conversion.encode(records.slice(1)))).rows).toEqual([{ v: 2 }, { v: 3 }]);
    expect((await duck.read(await conversion.encode(records))).rows).toEqual([{ v: 1 }, { v: 2 }, { v: 3 }]);
    expect((await duck.read(await conversion.encode(['{"v":4}']))).rows).toEqual([{ v: 4 }]); // not objects: never kept
    await expect(conversion.encode([{ data: '{"v":"x"}' }])).rejects.toThrow(/field "v": "x" is not a int/);
  });

  it('should match field names exactly when caseInsensitive is false', async () => {
    const conversion = parquetConversion({ columns: [{ name: 'v', type: 'int' }], caseInsensitive: false, workerThreads: 0 });
    // "V" is not the column: ignored, so the bad value does not matter.
    expect((await conversion.check([{ data: '{"V":"x"}' }])).failed).toEqual([]);
    expect(
      (await parquetConversion({ columns: [{ name: 'v', type: 'int' }], workerThreads: 0 }).check([{ data: '{"V":"x"}' }])).failed,
    ).toHaveLength(1);
  });
});

describe('parquetConversion of the other Hive types', () => {
  /** Converts `texts` into one column `v` of `type` (in-process: workers run the same code) and reads `v` back with DuckDB's `select`. */
  async function roundTrip(type: string, texts: string[], select = 'v') {
    const conversion = parquetConversion({ columns: [{ name: 'v', type: type as ParquetColumn['type'] }], workerThreads: 0 });
    const records = texts.map((data) => ({ data }));
    expect((await conversion.check(records)).failed).toEqual([]);
    const body = await conversion.encode(records);
    return { rows: (await duck.select(body, select)).map((r) => r.v), types: (await duck.read(body)).types };
  }

  it.each([
    ['tinyint', ['{"v":127}', '{"v":"-128"}', '{"v":0}'], [127, -128, 0], 'TINYINT'],
    ['smallint', ['{"v":32767}', '{"v":"-32768"}'], [32767, -32768], 'SMALLINT'],
    ['date', ['{"v":"2026-03-01"}', '{"v":"1969-12-31"}', '{"v":"0001-01-01"}'], ['2026-03-01', '1969-12-31', '0001-01-01'], 'DATE'],
    ['binary', ['{"v":"AAEC/w=="}', '{"v":"aGk"}', '{"v":""}'], ['\\x00\\x01\\x02\\xFF', 'hi', ''], 'BLOB'],
  ])('should write a %s column that DuckDB reads back', async (type, texts, expected, duckType) => {
    const { rows, types } = await roundTrip(type, texts, 'v::VARCHAR AS v');
    expect(rows).toEqual(expected.map(String));
    expect(types).toEqual({ v: duckType });
  });

  it.each([
    [
      'decimal(5,2)',
      ['{"v":"123.45"}', '{"v":-0.5}', '{"v":7}', '{"v":"1.2e2"}', '{"v":"-999.99"}'],
      ['123.45', '-0.50', '7.00', '120.00', '-999.99'],
      'DECIMAL(5,2)',
    ],
    ['decimal(18,4)', ['{"v":"99999999999999.9999"}', '{"v":-12.5}'], ['99999999999999.9999', '-12.5000'], 'DECIMAL(18,4)'],
    [
      'decimal(38,10)',
      ['{"v":"1234567890123456789012345678.0123456789"}', '{"v":"-0.0000000001"}', '{"v":0}'],
      ['1234567890123456789012345678.0123456789', '-0.0000000001', '0.0000000000'],
      'DECIMAL(38,10)',
    ],
    ['decimal', ['{"v":"9999999999"}', '{"v":-1}'], ['9999999999', '-1'], 'DECIMAL(10,0)'],
  ])(
    'should write a %s column exactly (INT32, INT64 or a fixed-length byte array by precision)',
    async (type, texts, expected, duckType) => {
      const { rows, types } = await roundTrip(type, texts, 'v::VARCHAR AS v');
      expect(rows).toEqual(expected);
      expect(types).toEqual({ v: duckType });
    },
  );

  it('should write nested array, map and struct columns, with nulls at every level, that DuckDB reads back', async () => {
    const conversion = parquetConversion({
      columns: [
        { name: 'tags', type: 'array<int>' },
        { name: 'counts', type: 'map<string,bigint>' },
        { name: 'route', type: 'struct<From:string,stops:array<struct<at:timestamp,code:smallint>>>' },
        { name: 'grid', type: 'array<array<double>>' },
        { name: 'byDay', type: 'map<date,array<string>>' },
      ],
      workerThreads: 0,
    });
    const records = [
      {
        tags: [1, null, 3],
        counts: { a: 1, b: null, c: '9007199254740993' },
        route: { from: 'x', STOPS: [{ at: '2026-01-02 03:04:05', code: 7 }, null, {}] },
        grid: [[1.5], [], null],
        byDay: { '2026-03-01': ['p', null] },
      },
      {},
      { tags: [], counts: {}, route: {}, grid: [] },
    ].map((r) => ({ data: JSON.stringify(r) }));
    expect((await conversion.check(records)).failed).toEqual([]);
    const body = await conversion.encode(records);
    expect((await duck.read(body)).types).toEqual({
      tags: 'INTEGER[]',
      counts: 'MAP(VARCHAR, BIGINT)',
      route: 'STRUCT("From" VARCHAR, stops STRUCT("at" TIMESTAMP, code SMALLINT)[])',
      grid: 'DOUBLE[][]',
      byDay: 'MAP(DATE, VARCHAR[])',
    });
    const text = await duck.select(
      body,
      'tags::VARCHAR AS tags, counts::VARCHAR AS counts, route::VARCHAR AS route, grid::VARCHAR AS grid, byDay::VARCHAR AS byDay',
    );
    expect(text).toEqual([
      {
        tags: '[1, NULL, 3]',
        counts: '{a=1, b=NULL, c=9007199254740993}',
        route: "{'From': x, 'stops': [{'at': '2026-01-02 03:04:05', 'code': 7}, NULL, {'at': NULL, 'code': NULL}]}",
        grid: '[[1.5], [], NULL]',
        byDay: '{2026-03-01=[p, NULL]}',
      },
      { tags: null, counts: null, route: null, grid: null, byDay: null },
      { tags: '[]', counts: '{}', route: "{'From': NULL, 'stops': NULL}", grid: '[]', byDay: null },
    ]);
  });

  it.each([
    ['tinyint', '{"v":128}', 'v', '128'],
    ['smallint', '{"v":"-32769"}', 'v', '"-32769"'],
    ['tinyint', '{"v":1.5}', 'v', '1.5'],
    ['date', '{"v":"2026-02-30"}', 'v', '"2026-02-30"'],
    ['date', '{"v":20260101}', 'v', '20260101'],
    ['date', '{"v":"2026-01-01 10:00:00"}', 'v', '"2026-01-01 10:00:00"'],
    ['decimal(5,2)', '{"v":"1.234"}', 'v', '"1.234"'],
    ['decimal(5,2)', '{"v":1000}', 'v', '1000'],
    ['decimal(5,2)', '{"v":"12,5"}', 'v', '"12,5"'],
    ['decimal(5,2)', '{"v":true}', 'v', 'true'],
    ['binary', '{"v":"not base64!"}', 'v', '"not base64!"'],
    ['binary', '{"v":"abcde"}', 'v', '"abcde"'],
    ['binary', '{"v":[1,2]}', 'v', '[1,2]'],
    ['array<int>', '{"v":[1,"x"]}', 'v[1]', '"x"'],
    ['array<int>', '{"v":{"a":1}}', 'v', '{"a":1}'],
    ['map<string,int>', '{"v":{"a":"x"}}', 'v.a', '"x"'],
    ['map<int,string>', '{"v":{"one":"x"}}', 'v.one', '"one"'],
    ['map<string,int>', '{"v":[1]}', 'v', '[1]'],
    ['struct<a:int>', '{"v":{"A":"x"}}', 'v.a', '"x"'],
    ['struct<a:int>', '{"v":"a=1"}', 'v', '"a=1"'],
    ['struct<s:struct<d:date>>', '{"v":{"s":{"d":"yesterday"}}}', 'v.s.d', '"yesterday"'],
  ])('should refuse a %s column from %s as a schema mismatch naming %s and the value', async (type, text, field, value) => {
    const conversion = parquetConversion({ columns: [{ name: 'v', type: type as ParquetColumn['type'] }], workerThreads: 0 });
    const { failed } = await conversion.check([{ data: text }]);
    expect(failed).toEqual([
      { index: 0, errorCode: 'DataFormatConversion.SchemaMismatch', errorMessage: expect.any(String), retriable: false },
    ]);
    expect(failed[0]!.errorMessage).toMatch(
      new RegExp(`^field ${JSON.stringify(field).replace(/[[\].]/g, '\\$&')}: ${value.replace(/[[\]{}.]/g, '\\$&')} is not a `),
    );
  });

  it.each([
    'uniontype<int,string>',
    'array<int',
    'map<array<int>,int>',
    'decimal(39,0)',
    'decimal(5,6)',
    'struct<a:int,A:int>',
    'varchar',
    'interval',
  ])('should refuse the column type %s naming columns[0].type', (type) => {
    expect(() => parquetConversion({ columns: [{ name: 'v', type: type as ParquetColumn['type'] }] })).toThrow(
      expect.objectContaining({ name: 'InvalidOptionError', option: 'columns[0].type' }),
    );
  });

  it('should accept Hive type names in any case and with spaces', async () => {
    const { rows } = await roundTrip(' ARRAY< Decimal( 4 , 1 ) > ', ['{"v":[1.5,"-2"]}'], 'v::VARCHAR AS v');
    expect(rows).toEqual(['[1.5, -2.0]']);
  });
});

describe('parquetConversion options', () => {
  it.each([
    [{ columns: [] }, 'columns'],
    [{ columns: [{ name: '', type: 'string' }] }, 'columns[0].name'],
    [{ columns: [{ name: 'a', type: 'varchar' }] }, 'columns[0].type'],
    [
      {
        columns: [
          { name: 'a', type: 'int' },
          { name: 'A', type: 'int' },
        ],
      },
      'columns[1].name',
    ],
    [{ columns: [{ name: 'a', type: 'int' }], compression: 'ZSTD' }, 'compression'],
    [{ columns: [{ name: 'a', type: 'int' }], pageSizeBytes: 1024 }, 'pageSizeBytes'],
    [{ columns: [{ name: 'a', type: 'int' }], workerThreads: -1 }, 'workerThreads'],
    [{ columns: [{ name: 'a', type: 'int' }], workerThreads: 1.5 }, 'workerThreads'],
    [{ columns: [{ name: 'a', type: 'int' }], workerThreads: 65 }, 'workerThreads'],
    [{ columns: [{ name: 'a', type: 'int' }], timestampFormats: ['yyyy-DDD'] }, 'timestampFormats[0]'],
    [{ columns: [{ name: 'a', type: 'int' }], timestampFormats: "'unclosed" }, 'timestampFormats'],
  ])('should refuse %j naming %s', (options, option) => {
    expect(() => parquetConversion(options as never)).toThrow(expect.objectContaining({ name: 'InvalidOptionError', option }));
  });

  it('should refuse a compressed object store with a conversion (the file compresses its pages)', () => {
    const parquet = parquetConversion({ columns });
    expect(() => directoryDestination({ path: '/tmp/x', compression: 'GZIP', dataFormatConversion: parquet })).toThrow(InvalidOptionError);
    expect(() => directoryDestination({ path: '/tmp/x', dataFormatConversion: {} as never })).toThrow(/dataFormatConversion/);
  });
});
