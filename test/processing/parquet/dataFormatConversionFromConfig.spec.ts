import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { deliveryStreamFromConfig } from '../../../src/index.js';
import { filesUnder, recordsOf, refused, s3Config, useDataDir } from '../../config/support.js';
import { useDuckDb } from './readParquet.js';

const duck = useDuckDb();

/** Firehose's "Convert Record Format" example, with the Glue table replaced by explicit columns. */
const conversion = (extra: Record<string, unknown> = {}) => ({
  SchemaConfiguration: {
    RoleARN: 'arn:aws:iam::123456789012:role/firehose',
    Columns: [
      { Name: 'vendor', Type: 'string' },
      { Name: 'passengers', Type: 'int' },
      { Name: 'fare', Type: 'double' },
      { Name: 'pickup', Type: 'timestamp' },
    ],
  },
  InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: {} } },
  OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'GZIP' } } },
  Enabled: true,
  ...extra,
});

describe('DataFormatConversionConfiguration', () => {
  const dir = useDataDir();

  it('should run a delivery stream that converts JSON records to Parquet and fails the others under format-conversion-failed/', async () => {
    const input = s3Config({
      Prefix: 'taxi/year=!{timestamp:yyyy}/',
      ErrorOutputPrefix: 'taxi-errors/!{firehose:error-output-type}/',
      BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 60 },
      CompressionFormat: 'UNCOMPRESSED',
      DataFormatConversionConfiguration: conversion(),
    });
    const stream = deliveryStreamFromConfig(input, {
      dataDir: dir.path,
      records: recordsOf([
        '{"vendor":"A","passengers":2,"fare":12.5,"pickup":"2026-03-01 10:00:00"}',
        '{"vendor":"B","passengers":"many"}',
        '{"Vendor":"C","fare":"7"}',
      ]),
    });
    expect(stream.description).toContain('Parquet');
    const summary = await stream.done;
    expect(summary).toMatchObject({ deliveredRecords: 2, errorOutputRecords: 1 });
    const files = await filesUnder(`${dir.path}/lake`);
    const [parquetKey, ...others] = [...files.keys()].filter((k) => k.startsWith('taxi/'));
    expect(others).toEqual([]);
    expect(parquetKey).toMatch(/^taxi\/year=\d{4}\/clicks-1-.*\.parquet$/);
    const back = await duck.read(files.get(parquetKey!)!);
    expect(back.codecs).toEqual(['GZIP']);
    expect(back.rows).toEqual([
      { vendor: 'A', passengers: 2, fare: 12.5, pickup: new Date('2026-03-01T10:00:00Z') },
      { vendor: 'C', passengers: null, fare: 7, pickup: null },
    ]);
    const errorKeys = [...files.keys()].filter((k) => k.startsWith('taxi-errors/format-conversion-failed/'));
    expect(errorKeys).toHaveLength(1);
    const failure = JSON.parse(files.get(errorKeys[0]!)!.toString('utf8'));
    expect(failure).toMatchObject({ errorCode: 'DataFormatConversion.SchemaMismatch', attemptsMade: 1 });
    expect(Buffer.from(failure.rawData, 'base64').toString('utf8')).toBe('{"vendor":"B","passengers":"many"}');
  });

  it('should check a disabled conversion and then write records as they are', async () => {
    const input = s3Config({ DataFormatConversionConfiguration: conversion({ Enabled: false }) });
    await deliveryStreamFromConfig(input, { dataDir: dir.path, records: recordsOf(['{"vendor":"A"}']) }).done;
    expect([...(await filesUnder(`${dir.path}/lake`)).keys()]).toEqual([expect.not.stringMatching(/\.parquet$/)]);
    expect(
      refused(s3Config({ DataFormatConversionConfiguration: conversion({ Enabled: false, SchemaConfiguration: { Columns: [] } }) })).field,
    ).toBe('ExtendedS3DestinationConfiguration.DataFormatConversionConfiguration.SchemaConfiguration.Columns');
  });

  const at = 'ExtendedS3DestinationConfiguration';
  const dfc = `${at}.DataFormatConversionConfiguration`;
  it("should read timestamps in HiveJsonSerDe's TimestampFormats, in order, before the default rules", async () => {
    const stream = deliveryStreamFromConfig(
      s3Config({
        BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 60 },
        DataFormatConversionConfiguration: conversion({
          InputFormatConfiguration: {
            Deserializer: { HiveJsonSerDe: { TimestampFormats: ['dd/MM/yyyy hh:mm a', "yyyy-MM-dd'T'HH:mm:ss.SSSZZ", 'millis'] } },
          },
        }),
      }),
      {
        dataDir: dir.path,
        records: recordsOf([
          '{"vendor":"A","pickup":"01/03/2026 02:05 PM"}',
          '{"vendor":"B","pickup":"2026-03-01T10:00:00.250+01:00"}',
          '{"vendor":"C","pickup":"1767323045000"}',
          '{"vendor":"D","pickup":"2026-03-01 10:00:00"}',
          '{"vendor":"E","pickup":"31/02/2026 02:05 PM"}',
        ]),
      },
    );
    expect(await stream.done).toMatchObject({ deliveredRecords: 4, errorOutputRecords: 1 });
    const files = await filesUnder(`${dir.path}/lake`);
    const body = [...files].find(([k]) => k.endsWith('.parquet'))![1];
    expect((await duck.read(body)).rows.map((r) => [r.vendor, (r.pickup as Date).toISOString()])).toEqual([
      ['A', '2026-03-01T14:05:00.000Z'],
      ['B', '2026-03-01T09:00:00.250Z'],
      ['C', '2026-01-02T03:04:05.000Z'],
      ['D', '2026-03-01T10:00:00.000Z'], // no format reads it: the default rules do
    ]);
  });

  it.each([
    [
      'a buffer under 64 MiB',
      { BufferingHints: { SizeInMBs: 32, IntervalInSeconds: 60 } },
      `${at}.BufferingHints.SizeInMBs`,
      /from 64 to 128/,
    ],
    ['a compressed bucket', { CompressionFormat: 'GZIP' }, `${at}.CompressionFormat`, /UNCOMPRESSED with a dataFormatConversion/],
    [
      'a Glue table without its database',
      { DataFormatConversionConfiguration: conversion({ SchemaConfiguration: { TableName: 't' } }) },
      `${dfc}.SchemaConfiguration.DatabaseName`,
      /a Glue table, or Columns/,
    ],
    [
      'no schema',
      { DataFormatConversionConfiguration: { Enabled: true } },
      `${dfc}.SchemaConfiguration`,
      /present when the conversion is enabled/,
    ],
    [
      'a column type Hive has but this does not',
      {
        DataFormatConversionConfiguration: conversion({ SchemaConfiguration: { Columns: [{ Name: 'a', Type: 'uniontype<int,string>' }] } }),
      },
      `${dfc}.SchemaConfiguration.Columns[0].Type`,
      /a Hive type: string, char\(n\), varchar\(n\), boolean, tinyint, smallint, int, bigint, float, double, decimal\(p,s\), timestamp, date, binary, array<…>, map<…>, struct<…>; got "uniontype<int,string>"/,
    ],
    [
      'two columns of one name',
      {
        DataFormatConversionConfiguration: conversion({
          SchemaConfiguration: {
            Columns: [
              { Name: 'a', Type: 'int' },
              { Name: 'A', Type: 'int' },
            ],
          },
        }),
      },
      `${dfc}.SchemaConfiguration.Columns[1].Name`,
      /used once/,
    ],
    [
      'a TimestampFormats pattern with a letter Joda-Time has but this does not',
      {
        DataFormatConversionConfiguration: conversion({
          InputFormatConfiguration: { Deserializer: { HiveJsonSerDe: { TimestampFormats: ['millis', 'EEE, dd MMM yyyy'] } } },
        }),
      },
      `${dfc}.InputFormatConfiguration.Deserializer.HiveJsonSerDe.TimestampFormats[1]`,
      /the letter "E"/,
    ],
    [
      'ORC',
      { DataFormatConversionConfiguration: conversion({ OutputFormatConfiguration: { Serializer: { OrcSerDe: {} } } }) },
      `${dfc}.OutputFormatConfiguration.Serializer.OrcSerDe`,
      /not supported yet/,
    ],
    [
      'a block size under 64 MiB',
      {
        DataFormatConversionConfiguration: conversion({
          OutputFormatConfiguration: { Serializer: { ParquetSerDe: { BlockSizeBytes: 1024 } } },
        }),
      },
      `${dfc}.OutputFormatConfiguration.Serializer.ParquetSerDe.BlockSizeBytes`,
      /67108864/,
    ],
    [
      'writer version V1',
      {
        DataFormatConversionConfiguration: conversion({
          OutputFormatConfiguration: { Serializer: { ParquetSerDe: { WriterVersion: 'V1' } } },
        }),
      },
      `${dfc}.OutputFormatConfiguration.Serializer.ParquetSerDe.WriterVersion`,
      /V1 is not supported yet/,
    ],
    [
      'ColumnToJsonKeyMappings',
      {
        DataFormatConversionConfiguration: conversion({
          InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: { ColumnToJsonKeyMappings: { a: 'b' } } } },
        }),
      },
      `${dfc}.InputFormatConfiguration.Deserializer.OpenXJsonSerDe.ColumnToJsonKeyMappings`,
      /not supported yet/,
    ],
  ])('should refuse %s naming the field', (_what, extra, field, message) => {
    const err = refused(s3Config({ DataFormatConversionConfiguration: conversion(), ...extra }));
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
  });
});
