import { gunzipSync } from 'node:zlib';
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { deliveryStreamFromConfig, toRecords, type FirehoseRecord } from '../../src/index.js';
import { filesUnder, recordsOf, refused, s3Config, textOf, useDataDir } from './support.js';

const KIB = 1024;

describe('deliveryStreamFromConfig: Direct PUT → extended S3 in the data directory', () => {
  const dir = useDataDir();

  it('should write records to <dataDir>/<bucket>/ under the default prefix, with the stream name in every key', async () => {
    const stream = deliveryStreamFromConfig(s3Config(), { dataDir: dir.path, records: recordsOf(['a\n', 'b\n']) });
    expect(stream.arn).toBe('arn:aws:firehose:us-east-1:000000000000:deliverystream/clicks');
    const summary = await stream.done;
    expect(summary).toMatchObject({
      name: 'clicks',
      incomingRecords: 2,
      deliveredRecords: 2,
      deliveredBytes: 4,
      deliveredBatches: 1,
      errorOutputRecords: 0,
    });
    const files = await filesUnder(`${dir.path}/lake`);
    expect([...files.keys()]).toEqual([
      expect.stringMatching(/^\d{4}\/\d{2}\/\d{2}\/\d{2}\/clicks-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[\w-]+$/),
    ]);
    expect(textOf(files)).toBe('a\nb\n');
  });

  it('should put objects under Prefix (with the time appended when the prefix has no timestamp)', async () => {
    await deliveryStreamFromConfig(s3Config({ Prefix: 'raw/' }), { dataDir: dir.path, records: recordsOf(['x']) }).done;
    expect([...(await filesUnder(`${dir.path}/lake`)).keys()]).toEqual([
      expect.stringMatching(/^raw\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/clicks-1-/),
    ]);
  });

  it('should compress objects with CompressionFormat, and name them with its extension or FileExtension', async () => {
    await deliveryStreamFromConfig(s3Config({ CompressionFormat: 'GZIP', Prefix: 'gz/' }), {
      dataDir: dir.path,
      records: recordsOf(['{"n":1}\n']),
    }).done;
    const gz = await filesUnder(`${dir.path}/lake/gz`);
    expect([...gz.keys()][0]).toMatch(/\.gz$/);
    expect(gunzipSync([...gz.values()][0]!).toString()).toBe('{"n":1}\n');

    await deliveryStreamFromConfig(s3Config({ CompressionFormat: 'GZIP', FileExtension: '.json.gz', Prefix: 'ext/' }), {
      dataDir: dir.path,
      records: recordsOf(['{}']),
    }).done;
    expect([...(await filesUnder(`${dir.path}/lake/ext`)).keys()][0]).toMatch(/\.json\.gz$/);
  });

  it('should flush at BufferingHints.SizeInMBs: 3 records of 600 KiB make 3 objects at 1 MiB, 1 object at the default 5 MiB', async () => {
    const big = (c: string): string => c.repeat(600 * KIB);
    const one = await deliveryStreamFromConfig(s3Config({ Prefix: 'one/', BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 900 } }), {
      dataDir: dir.path,
      records: recordsOf([big('a'), big('b'), big('c')]),
    }).done;
    expect(one.deliveredBatches).toBe(3);
    expect((await filesUnder(`${dir.path}/lake/one`)).size).toBe(3);

    const five = await deliveryStreamFromConfig(s3Config({ Prefix: 'five/' }), {
      dataDir: dir.path,
      records: recordsOf([big('a'), big('b'), big('c')]),
    }).done;
    expect(five.deliveredBatches).toBe(1);
  });

  it('should flush at BufferingHints.IntervalInSeconds after a batch opened (virtual time)', async () => {
    const run = async (intervalS: number): Promise<number> => {
      const scheduler = new TestScheduler(() => undefined);
      scheduler.maxFrames = Number.POSITIVE_INFINITY;
      const source = new Subject<string>();
      const stream = deliveryStreamFromConfig(
        s3Config({ Prefix: `i${intervalS}/`, BufferingHints: { SizeInMBs: 128, IntervalInSeconds: intervalS } }),
        {
          dataDir: dir.path,
          scheduler,
          records: source.pipe(toRecords({ scheduler })),
        },
      );
      scheduler.schedule(() => source.next('first\n'), 0);
      scheduler.schedule(() => source.next('second\n'), 61_000);
      scheduler.schedule(() => source.complete(), 100_000);
      scheduler.flush();
      return (await stream.done).deliveredBatches;
    };
    expect(await run(60)).toBe(2); // the first batch went out at 60 s, before the second record
    expect(await run(120)).toBe(1); // both records within 120 s of the first
  });

  it('should write processing failures to ErrorOutputPrefix, with the error output type', async () => {
    const fail = (event: { records: Array<{ recordId: string; data: string }> }) => ({
      records: event.records.map((r) => ({ recordId: r.recordId, result: 'ProcessingFailed' as const, data: r.data })),
    });
    const stream = deliveryStreamFromConfig(
      s3Config({
        ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/!{timestamp:yyyy}/',
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            {
              Type: 'Lambda',
              Parameters: [{ ParameterName: 'LambdaArn', ParameterValue: 'arn:aws:lambda:us-east-1:123456789012:function:reject' }],
            },
          ],
        },
      }),
      { dataDir: dir.path, records: recordsOf(['bad']), lambdaHandlers: { reject: fail } },
    );
    const summary = await stream.done;
    expect(summary).toMatchObject({ deliveredRecords: 0, errorOutputRecords: 1 });
    const errors = await filesUnder(`${dir.path}/lake/errors`);
    expect([...errors.keys()]).toEqual([expect.stringMatching(/^processing-failed\/\d{4}\/clicks-1-/)]);
    const failure = JSON.parse(textOf(errors)) as Record<string, unknown>;
    expect(failure).toMatchObject({
      errorCode: 'Lambda.ProcessingFailedStatus',
      lambdaArn: 'arn:aws:lambda:us-east-1:123456789012:function:reject',
    });
    expect(Buffer.from(failure.rawData as string, 'base64').toString()).toBe('bad');
  });

  it('should tell each delivery on results, as it happens', async () => {
    const stream = deliveryStreamFromConfig(s3Config(), { dataDir: dir.path, records: recordsOf(['a', 'b']) });
    const seen: string[] = [];
    stream.results.subscribe((r) => seen.push(`${r.stage} ${r.status} ${r.records.length} ${r.location?.startsWith(`${dir.path}/lake/`)}`));
    await stream.done;
    expect(seen).toEqual(['destination delivered 2 true']);
  });

  it('should resolve done with the error when the records fail, after delivering what came before', async () => {
    const source = new Subject<FirehoseRecord>();
    const stream = deliveryStreamFromConfig(s3Config(), { dataDir: dir.path, records: source });
    source.next({ recordId: '1', data: Buffer.from('before'), approximateArrivalTimestamp: Date.UTC(2026, 0, 1) });
    source.error(new Error('producer gone'));
    const summary = await stream.done;
    expect((summary.error as Error).message).toBe('producer gone');
    expect(summary.deliveredRecords).toBe(1);
    expect(textOf(await filesUnder(`${dir.path}/lake`))).toBe('before');
  });

  it('should stop a Direct PUT stream on stop(), delivering what it took', async () => {
    const source = new Subject<FirehoseRecord>();
    const stream = deliveryStreamFromConfig(s3Config(), { dataDir: dir.path, records: source });
    source.next({ recordId: '1', data: Buffer.from('kept'), approximateArrivalTimestamp: Date.UTC(2026, 0, 1) });
    const summary = await stream.stop();
    source.next({ recordId: '2', data: Buffer.from('late'), approximateArrivalTimestamp: Date.UTC(2026, 0, 1) });
    expect(summary.deliveredRecords).toBe(1);
    expect(textOf(await filesUnder(`${dir.path}/lake`))).toBe('kept');
  });
});

describe('deliveryStreamFromConfig: ranges and unsupported fields', () => {
  it.each([
    [
      { BufferingHints: { SizeInMBs: 0, IntervalInSeconds: 60 } },
      'ExtendedS3DestinationConfiguration.BufferingHints.SizeInMBs',
      '0',
      'from 1 to 128',
    ],
    [
      { BufferingHints: { SizeInMBs: 129, IntervalInSeconds: 60 } },
      'ExtendedS3DestinationConfiguration.BufferingHints.SizeInMBs',
      '129',
      'from 1 to 128',
    ],
    [
      { BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 901 } },
      'ExtendedS3DestinationConfiguration.BufferingHints.IntervalInSeconds',
      '901',
      'from 0 to 900',
    ],
    [
      { BufferingHints: { SizeInMBs: 5 } },
      'ExtendedS3DestinationConfiguration.BufferingHints.IntervalInSeconds',
      'SizeInMBs',
      'given with',
    ],
    [{ CompressionFormat: 'BROTLI' }, 'ExtendedS3DestinationConfiguration.CompressionFormat', '"BROTLI"', 'GZIP'],
    [{ BucketARN: 'lake' }, 'ExtendedS3DestinationConfiguration.BucketARN', '"lake"', 'arn:aws:s3:::'],
    [{ Prefix: 'a/!{nope:x}/' }, 'ExtendedS3DestinationConfiguration.Prefix', 'nope', ''],
    [{ FileExtension: 'gz' }, 'ExtendedS3DestinationConfiguration.FileExtension', '"gz"', ''],
  ])('should refuse %j naming the field, the value and the range', (extra, field, value, range) => {
    const err = refused(s3Config(extra));
    expect(err.field).toBe(field);
    expect(err.message).toContain(field);
    expect(err.message).toContain(value);
    expect(err.message).toContain(range);
  });

  it.each([
    ['ExtendedS3DestinationConfiguration.CustomTimeZone', s3Config({ CustomTimeZone: 'Asia/Tokyo' })],
    [
      'DeliveryStreamEncryptionConfigurationInput',
      { ...s3Config(), DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } },
    ],
    ['SnowflakeDestinationConfiguration', { DeliveryStreamName: 'x', SnowflakeDestinationConfiguration: {} }],
    ['IcebergDestinationConfiguration', { DeliveryStreamName: 'x', IcebergDestinationConfiguration: {} }],
    ['MSKSourceConfiguration', { ...s3Config(), MSKSourceConfiguration: {} }],
    ['DatabaseSourceConfiguration', { ...s3Config(), DatabaseSourceConfiguration: {} }],
    ['DeliveryStreamType', { ...s3Config(), DeliveryStreamType: 'MSKAsSource' }],
    [
      'ExtendedS3DestinationConfiguration.EncryptionConfiguration.KMSEncryptionConfig',
      s3Config({ EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: 'arn:aws:kms:us-east-1:123456789012:key/k' } } }),
    ],
  ])('should refuse %s by name as not supported yet', (field, input) => {
    const err = refused(input);
    expect(err.field).toBe(field);
    expect(err.message).toMatch(new RegExp(`^${field.replace(/[.[\]]/g, '\\$&')}( \\S+)? is not supported yet`));
  });

  it('should refuse a field Firehose does not define, and a missing name or destination', () => {
    expect(refused(s3Config({ Bucket: 'lake' })).message).toBe(
      'ExtendedS3DestinationConfiguration.Bucket is not a field of ExtendedS3DestinationConfiguration',
    );
    expect(refused({ ExtendedS3DestinationConfiguration: s3Config().ExtendedS3DestinationConfiguration }).field).toBe('DeliveryStreamName');
    expect(refused({ DeliveryStreamName: 'bad name' }).field).toBe('DeliveryStreamName');
    expect(refused({ DeliveryStreamName: 'x' }).message).toMatch(/needs one destination/);
  });
});
