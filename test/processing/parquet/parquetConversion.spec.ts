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
        const conversion = parquetConversion({ columns: schema, compression: 'SNAPPY' });
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
    const conversion = parquetConversion({ columns: [{ name: 'v', type }] });
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
    const conversion = parquetConversion({ columns: [{ name: 'v', type }] });
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
    const conversion = parquetConversion({ columns: [{ name: 'v', type: 'int' }] });
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

  it('should match field names exactly when caseInsensitive is false', async () => {
    const conversion = parquetConversion({ columns: [{ name: 'v', type: 'int' }], caseInsensitive: false });
    // "V" is not the column: ignored, so the bad value does not matter.
    expect((await conversion.check([{ data: '{"V":"x"}' }])).failed).toEqual([]);
    expect((await parquetConversion({ columns: [{ name: 'v', type: 'int' }] }).check([{ data: '{"V":"x"}' }])).failed).toHaveLength(1);
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
  ])('should refuse %j naming %s', (options, option) => {
    expect(() => parquetConversion(options as never)).toThrow(expect.objectContaining({ name: 'InvalidOptionError', option }));
  });

  it('should refuse a compressed object store with a conversion (the file compresses its pages)', () => {
    const parquet = parquetConversion({ columns });
    expect(() => directoryDestination({ path: '/tmp/x', compression: 'GZIP', dataFormatConversion: parquet })).toThrow(InvalidOptionError);
    expect(() => directoryDestination({ path: '/tmp/x', dataFormatConversion: {} as never })).toThrow(/dataFormatConversion/);
  });
});
