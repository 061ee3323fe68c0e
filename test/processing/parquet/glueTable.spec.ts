import { GlueClient } from '@aws-sdk/client-glue';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { defer } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deliveryStreamFromConfig, InvalidConfigurationError } from '../../../src/index.js';
import { filesUnder, recordsOf, refused, s3Config, useDataDir } from '../../config/support.js';
import { startGlueGetTableTestServer } from '../../support/glueGetTableTestServer.js';
import { useDuckDb } from './readParquet.js';

const duck = useDuckDb();
const FIELD = 'ExtendedS3DestinationConfiguration.DataFormatConversionConfiguration.SchemaConfiguration';

/** Firehose's "Convert Record Format" configuration, schema from the Glue table `db.<table>`. */
const glueConversion = (schema: Record<string, unknown>) =>
  s3Config({
    Prefix: 'trips/',
    ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/',
    BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 60 },
    DataFormatConversionConfiguration: {
      Enabled: true,
      SchemaConfiguration: { RoleARN: 'arn:aws:iam::123456789012:role/firehose', DatabaseName: 'db', ...schema },
      InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: {} } },
      OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } } },
    },
  });

describe('DataFormatConversionConfiguration with a Glue table (AWS SDK Glue client against a Glue GetTable test server)', () => {
  const dir = useDataDir();
  let glue: Awaited<ReturnType<typeof startGlueGetTableTestServer>>;
  let client: GlueClient;
  beforeAll(async () => {
    glue = await startGlueGetTableTestServer([
      {
        databaseName: 'db',
        name: 'trips',
        versions: [
          [
            { Name: 'vendor', Type: 'string' },
            { Name: 'fare', Type: 'double' },
          ],
          [
            { Name: 'vendor', Type: 'varchar(20)' },
            { Name: 'passengers', Type: 'int' },
            { Name: 'fare', Type: 'double' },
            { Name: 'pickup', Type: 'timestamp' },
            { Name: 'trip_id', Type: 'bigint' },
            { Name: 'paid', Type: 'boolean' },
          ],
        ],
      },
      {
        databaseName: 'db',
        name: 'nested',
        versions: [
          [
            { Name: 'id', Type: 'int' },
            { Name: 'route', Type: 'struct<from:string,to:string>' },
            { Name: 'wait', Type: 'interval_day_time' },
          ],
        ],
      },
      {
        databaseName: 'db',
        name: 'orders',
        versions: [
          [
            { Name: 'id', Type: 'tinyint' },
            { Name: 'day', Type: 'date' },
            { Name: 'total', Type: 'decimal(12,2)' },
            { Name: 'lines', Type: 'array<struct<sku:varchar(8),qty:smallint>>' },
            { Name: 'attrs', Type: 'map<string,string>' },
            { Name: 'sig', Type: 'binary' },
          ],
        ],
      },
      { databaseName: 'db', name: 'elsewhere', catalogId: '210987654321', versions: [[{ Name: 'id', Type: 'int' }]] },
    ]);
    client = new GlueClient({
      region: 'us-east-1',
      endpoint: glue.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      requestHandler: new NodeHttpHandler(),
    });
  });
  afterAll(async () => {
    client?.destroy();
    await glue?.stop();
  });

  const records = [
    '{"vendor":"A","passengers":2,"fare":12.5,"pickup":"2026-03-01 10:00:00","trip_id":"9007199254740993","paid":true}',
    '{"vendor":"B","passengers":"many"}',
  ];

  it('should read the latest table with GetTable (CatalogId, Region) and write Parquet objects DuckDB reads back', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    try {
      glue.requests.length = 0;
      const stream = deliveryStreamFromConfig(
        glueConversion({ TableName: 'trips', CatalogId: '123456789012', Region: 'eu-west-1', VersionId: 'LATEST' }),
        {
          dataDir: dir.path,
          records: recordsOf(records),
          endpoints: { glue: glue.endpoint }, // a client built here, in the configuration's Region
        },
      );
      await stream.loaded;
      const summary = await stream.done;
      expect(summary).toMatchObject({ deliveredRecords: 1, errorOutputRecords: 1 });
      expect(glue.requests).toEqual([
        {
          target: 'AWSGlue.GetTable',
          body: { CatalogId: '123456789012', DatabaseName: 'db', Name: 'trips' },
          scope: expect.stringMatching(/\/eu-west-1\/glue\/aws4_request$/),
        },
      ]);
      const files = await filesUnder(`${dir.path}/lake`);
      const [key, ...others] = [...files.keys()].filter((k) => k.startsWith('trips/'));
      expect(others).toEqual([]);
      expect(key).toMatch(/\.parquet$/);
      const back = await duck.read(files.get(key!)!);
      expect(back.codecs).toEqual(['SNAPPY']);
      expect(back.types).toEqual({
        vendor: 'VARCHAR',
        passengers: 'INTEGER',
        fare: 'DOUBLE',
        pickup: 'TIMESTAMP',
        trip_id: 'BIGINT',
        paid: 'BOOLEAN',
      });
      expect(back.rows).toEqual([
        { vendor: 'A', passengers: 2, fare: 12.5, pickup: new Date('2026-03-01T10:00:00Z'), trip_id: 9007199254740993n, paid: true },
      ]);
      expect([...files.keys()].filter((k) => k.startsWith('errors/format-conversion-failed/'))).toHaveLength(1);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('should read the table version VersionId names with GetTableVersion', async () => {
    glue.requests.length = 0;
    const stream = deliveryStreamFromConfig(glueConversion({ TableName: 'trips', VersionId: '1' }), {
      dataDir: dir.path,
      records: recordsOf(records),
      glueClient: client,
    });
    expect(await stream.done).toMatchObject({ deliveredRecords: 2, errorOutputRecords: 0 });
    expect(glue.requests.map((r) => [r.target, r.body])).toEqual([
      ['AWSGlue.GetTableVersion', { DatabaseName: 'db', TableName: 'trips', VersionId: '1' }],
    ]);
    const files = await filesUnder(`${dir.path}/lake/trips`);
    const back = await duck.read([...files.values()][0]!);
    expect(back.rows).toEqual([
      { vendor: 'A', fare: 12.5 },
      { vendor: 'B', fare: null },
    ]);
  });

  it("should write a table's decimal, date, tinyint, smallint, binary and nested columns as their Parquet types", async () => {
    const stream = deliveryStreamFromConfig(glueConversion({ TableName: 'orders' }), {
      dataDir: dir.path,
      records: recordsOf([
        '{"id":1,"day":"2026-03-01","total":"1234567890.12","lines":[{"sku":"a1","qty":2}],"attrs":{"k":"v"},"sig":"AQI="}',
        '{"id":2,"total":"0.125"}',
      ]),
      glueClient: client,
    });
    expect(await stream.done).toMatchObject({ deliveredRecords: 1, errorOutputRecords: 1 });
    const files = await filesUnder(`${dir.path}/lake`);
    const body = [...files].find(([k]) => k.startsWith('trips/'))![1];
    expect((await duck.read(body)).types).toEqual({
      id: 'TINYINT',
      day: 'DATE',
      total: 'DECIMAL(12,2)',
      lines: 'STRUCT(sku VARCHAR, qty SMALLINT)[]',
      attrs: 'MAP(VARCHAR, VARCHAR)',
      sig: 'BLOB',
    });
    expect(
      await duck.select(
        body,
        'id, day::VARCHAR AS day, total::VARCHAR AS total, lines::VARCHAR AS lines, attrs::VARCHAR AS attrs, sig::VARCHAR AS sig',
      ),
    ).toEqual([{ id: 1, day: '2026-03-01', total: '1234567890.12', lines: "[{'sku': a1, 'qty': 2}]", attrs: '{k=v}', sig: '\\x01\\x02' }]);
    const failure = [...files].find(([k]) => k.startsWith('errors/format-conversion-failed/'))![1].toString('utf8');
    expect(JSON.parse(failure)).toMatchObject({
      errorCode: 'DataFormatConversion.SchemaMismatch',
      errorMessage: 'field "total": "0.125" is not a decimal(12,2)',
    });
  });

  it.each([
    [
      'a table that does not exist',
      { TableName: 'nope' },
      /TableName: the Glue table db\.nope does not exist \(EntityNotFoundException: Table nope not found\.\)$/,
    ],
    [
      'a version that does not exist',
      { TableName: 'trips', VersionId: '7' },
      /db\.trips version 7 does not exist \(EntityNotFoundException: Version 7 of table trips not found\.\)$/,
    ],
    ['a table of another catalog', { TableName: 'elsewhere' }, /db\.elsewhere does not exist/],
    [
      'a column type the writer does not write',
      { TableName: 'nested' },
      /TableName: column "wait" of the Glue table db\.nested has type "interval_day_time", which is not supported \(supported: string, .*struct<…>\)$/,
    ],
  ])('should refuse %s while the stream loads, naming TableName, before reading a record', async (_, schema, message) => {
    let subscribed = false;
    const stream = deliveryStreamFromConfig(glueConversion(schema), {
      dataDir: dir.path,
      records: defer(() => {
        subscribed = true;
        return recordsOf(records);
      }),
      glueClient: client,
    });
    const err = await stream.loaded.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InvalidConfigurationError);
    expect(err).toMatchObject({ field: `${FIELD}.TableName`, message });
    const summary = await stream.done;
    expect(summary.error).toBe(err);
    expect(summary.incomingRecords).toBe(0);
    expect(subscribed).toBe(false);
    expect(await filesUnder(`${dir.path}/lake`)).toEqual(new Map());
  });

  it('should refuse at once a schema with both Columns and a table, no TableName, or a VersionId that is not a version', () => {
    const both = refused(glueConversion({ TableName: 'trips', Columns: [{ Name: 'a', Type: 'string' }] }));
    expect(both.field).toBe(`${FIELD}.TableName`);
    expect(both.message).toMatch(/a Glue table or Columns, not both/);
    expect(refused(glueConversion({})).field).toBe(`${FIELD}.TableName`);
    expect(refused(glueConversion({ TableName: 'trips', VersionId: 'v2' })).message).toMatch(
      /VersionId must be LATEST or a table version number; got "v2"/,
    );
    expect(refused(glueConversion({ TableName: 'trips', Region: 'Mars' })).field).toBe(`${FIELD}.Region`);
  });
});
