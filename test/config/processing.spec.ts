import { firstValueFrom, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import {
  deliveryStreamFromConfig,
  InvalidConfigurationError,
  planDeliveryStream,
  sourceBudgetFor,
  toRecords,
  type FirehoseTransformationEvent,
  type LocalTransformation,
} from '../../src/index.js';
import { filesUnder, recordsOf, s3Config, textOf, useDataDir } from './support.js';

const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:enrich';
const KIB = 1024;

/** A processing configuration with one Lambda processor (extra parameters appended) and other processors; `enabled: null` leaves Enabled out. */
function processing(
  parameters: Array<[string, string]> = [],
  others: unknown[] = [],
  enabled: boolean | null = true,
): Record<string, unknown> {
  return {
    ProcessingConfiguration: {
      ...(enabled === null ? {} : { Enabled: enabled }),
      Processors: [
        {
          Type: 'Lambda',
          Parameters: [['LambdaArn', ARN], ...parameters].map(([ParameterName, ParameterValue]) => ({ ParameterName, ParameterValue })),
        },
        ...others,
      ],
    },
  };
}

/** A local handler that upper-cases every record and counts its invocations and their sizes. */
function upperCase(): { handler: LocalTransformation; events: FirehoseTransformationEvent[] } {
  const events: FirehoseTransformationEvent[] = [];
  const handler: LocalTransformation = (event) => {
    events.push(event);
    return {
      records: event.records.map((r) => ({
        recordId: r.recordId,
        result: 'Ok' as const,
        data: Buffer.from(Buffer.from(r.data, 'base64').toString().toUpperCase()).toString('base64'),
      })),
    };
  };
  return { handler, events };
}

describe('deliveryStreamFromConfig: ProcessingConfiguration', () => {
  const dir = useDataDir();

  it('should run the Lambda processor through a local handler found by ARN, function name, or ARN without qualifier', async () => {
    for (const key of [ARN, 'enrich']) {
      const { handler, events } = upperCase();
      const stream = deliveryStreamFromConfig(s3Config({ Prefix: `${key.length}/`, ...processing() }), {
        dataDir: dir.path,
        records: recordsOf(['a', 'b']),
        lambdaHandlers: { [key]: handler },
      });
      await stream.done;
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ deliveryStreamArn: stream.arn, region: 'us-east-1' });
      expect(textOf(await filesUnder(`${dir.path}/lake/${key.length}`))).toBe('AB');
    }
    const { handler, events } = upperCase();
    const qualified = s3Config({ Prefix: 'q/', ...processing() });
    qualified.ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors[0].Parameters[0].ParameterValue = `${ARN}:$LATEST`;
    await deliveryStreamFromConfig(qualified, { dataDir: dir.path, records: recordsOf(['c']), lambdaHandlers: { [ARN]: handler } }).done;
    expect(events).toHaveLength(1);
  });

  it('should append a newline to every record with AppendDelimiterToRecord, after the Lambda processor', async () => {
    const { handler } = upperCase();
    await deliveryStreamFromConfig(s3Config({ ...processing([], [{ Type: 'AppendDelimiterToRecord' }]) }), {
      dataDir: dir.path,
      records: recordsOf(['a', 'b\n']),
      lambdaHandlers: { enrich: handler },
    }).done;
    expect(textOf(await filesUnder(`${dir.path}/lake`))).toBe('A\nB\n\n');
  });

  it('should run no processor with Enabled: false (and still check them)', async () => {
    const { handler, events } = upperCase();
    await deliveryStreamFromConfig(s3Config({ ...processing([], [{ Type: 'AppendDelimiterToRecord' }], false) }), {
      dataDir: dir.path,
      records: recordsOf(['a', 'b']),
      lambdaHandlers: { enrich: handler },
    }).done;
    expect(events).toHaveLength(0);
    expect(textOf(await filesUnder(`${dir.path}/lake`))).toBe('ab');
    expect(() => deliveryStreamFromConfig(s3Config(processing([['NumberOfRetries', '301']], [], false)), { dataDir: dir.path })).toThrow(
      /NumberOfRetries|ParameterValue/,
    );
  });

  it('should retry a failing invocation NumberOfRetries times, then write processing-failed records', async () => {
    const run = async (retries: string | undefined): Promise<number> => {
      const scheduler = new TestScheduler(() => undefined);
      scheduler.maxFrames = Number.POSITIVE_INFINITY;
      let calls = 0;
      const crash: LocalTransformation = () => {
        calls++;
        throw new Error('boom');
      };
      const stream = deliveryStreamFromConfig(
        s3Config({ Prefix: `r${retries}/`, ...processing(retries === undefined ? [] : [['NumberOfRetries', retries]]) }),
        {
          dataDir: dir.path,
          scheduler,
          records: recordsOf(['x']),
          lambdaHandlers: { enrich: crash },
        },
      );
      scheduler.flush();
      const summary = await stream.done;
      expect(summary.errorOutputRecords).toBe(1);
      return calls;
    };
    expect(await run('0')).toBe(1);
    expect(await run('2')).toBe(3);
    expect(await run(undefined)).toBe(4); // Firehose's default: 3 retries
  });

  it('should buffer for the processor by BufferSizeInMBs', async () => {
    const sizes = async (sizeMb: string | undefined): Promise<number> => {
      const { handler, events } = upperCase();
      await deliveryStreamFromConfig(
        s3Config({ Prefix: `s${sizeMb}/`, ...processing(sizeMb === undefined ? [] : [['BufferSizeInMBs', sizeMb]]) }),
        {
          dataDir: dir.path,
          records: recordsOf(['a', 'b', 'c'].map((c) => c.repeat(150 * KIB))),
          lambdaHandlers: { enrich: handler },
        },
      ).done;
      return events.length;
    };
    expect(await sizes('0.2')).toBe(3); // 0.2 MiB holds one 150 KiB record
    expect(await sizes(undefined)).toBe(1); // the default 1 MiB holds all three
  });

  it('should buffer for the processor by BufferIntervalInSeconds (virtual time)', async () => {
    const invocations = async (intervalS: string): Promise<number> => {
      const scheduler = new TestScheduler(() => undefined);
      scheduler.maxFrames = Number.POSITIVE_INFINITY;
      const { handler, events } = upperCase();
      const source = new Subject<string>();
      const stream = deliveryStreamFromConfig(
        s3Config({ Prefix: `i${intervalS}/`, ...processing([['BufferIntervalInSeconds', intervalS]]) }),
        {
          dataDir: dir.path,
          scheduler,
          records: source.pipe(toRecords({ scheduler })),
          lambdaHandlers: { enrich: handler },
        },
      );
      scheduler.schedule(() => source.next('a'), 0);
      scheduler.schedule(() => source.next('b'), 30_000);
      scheduler.schedule(() => source.complete(), 50_000);
      scheduler.flush();
      await stream.done;
      return events.length;
    };
    expect(await invocations('20')).toBe(2);
    expect(await invocations('60')).toBe(1);
  });

  it.each([
    [[['NumberOfRetries', '301']], 'Parameters[1].ParameterValue', '"301"', 'from 0 to 300'],
    [[['BufferSizeInMBs', '0.1']], 'Parameters[1].ParameterValue', '"0.1"', 'from 0.2 to 3'],
    [[['BufferSizeInMBs', '4']], 'Parameters[1].ParameterValue', '"4"', 'from 0.2 to 3'],
    [[['BufferIntervalInSeconds', '901']], 'Parameters[1].ParameterValue', '"901"', 'from 0 to 900'],
    [[['MetadataExtractionQuery', '{a:.a}']], 'Parameters[1].ParameterName', 'MetadataExtractionQuery', 'a parameter of Lambda processors'],
  ] as Array<[Array<[string, string]>, string, string, string]>)(
    'should refuse Lambda parameters %j out of range',
    (parameters, field, value, range) => {
      let err: InvalidConfigurationError | undefined;
      try {
        deliveryStreamFromConfig(s3Config(processing(parameters)), { dataDir: dir.path });
      } catch (e) {
        err = e as InvalidConfigurationError;
      }
      expect(err).toBeInstanceOf(InvalidConfigurationError);
      expect(err!.field).toBe(`ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors[0].${field}`);
      expect(err!.message).toContain(value);
      expect(err!.message).toContain(range);
    },
  );

  it('should refuse a LambdaArn that is not a function ARN', () => {
    const config = s3Config(processing());
    config.ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors[0].Parameters[0].ParameterValue = 'enrich';
    expect(() => deliveryStreamFromConfig(config, { dataDir: dir.path })).toThrow(
      /Processors\[0\]\.Parameters\[0\]\.ParameterValue must be a Lambda function ARN/,
    );
  });

  it.each([
    ['MetadataExtraction', 'MetadataExtractionQuery'],
    ['RecordDeAggregation', 'SubRecordType'],
    ['CloudWatchLogProcessing', 'DataMessageExtraction'],
  ])('should refuse the %s processor without its %s parameter', (type, parameter) => {
    expect(() =>
      deliveryStreamFromConfig(s3Config({ ProcessingConfiguration: { Enabled: true, Processors: [{ Type: type, Parameters: [] }] } }), {
        dataDir: dir.path,
      }),
    ).toThrow(
      `ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors[0].Parameters must be a list with a ${parameter} parameter`,
    );
  });

  it('should refuse processors without Enabled, two Lambda processors, and parameters of AppendDelimiterToRecord', () => {
    expect(() => deliveryStreamFromConfig(s3Config(processing([], [], null)), { dataDir: dir.path })).toThrow(
      /ProcessingConfiguration\.Enabled must be given with Processors/,
    );
    const lambda = (processing() as { ProcessingConfiguration: { Processors: unknown[] } }).ProcessingConfiguration.Processors[0];
    expect(() => deliveryStreamFromConfig(s3Config(processing([], [lambda])), { dataDir: dir.path })).toThrow(
      /Processors\[1\]\.Type must be used once/,
    );
    expect(() =>
      deliveryStreamFromConfig(
        s3Config(processing([], [{ Type: 'AppendDelimiterToRecord', Parameters: [{ ParameterName: 'Delimiter', ParameterValue: ',' }] }])),
        { dataDir: dir.path },
      ),
    ).toThrow(
      'ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors[1].Parameters[0].ParameterName must be left out: AppendDelimiterToRecord takes no parameters',
    );
  });
});

describe('deliveryStreamFromConfig: S3BackupMode and DynamicPartitioningConfiguration', () => {
  const dir = useDataDir();
  const backup = { RoleARN: 'arn:aws:iam::123456789012:role/firehose', BucketARN: 'arn:aws:s3:::raw', Prefix: 'source/' };

  it('should count in bufferedBytes every buffer its source must let fill: the destination’s, the Lambda processor’s and the backup’s', () => {
    const MIB = 1_048_576;
    const plan = planDeliveryStream(
      s3Config({
        BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 60 },
        S3BackupMode: 'Enabled',
        S3BackupConfiguration: { ...backup, BufferingHints: { SizeInMBs: 10, IntervalInSeconds: 60 } },
        ...processing([['BufferSizeInMBs', '3']]),
      }),
      { dataDir: dir.path, lambdaHandlers: { enrich: upperCase().handler } },
    );
    expect(plan.bufferedBytes).toBe(18 * MIB);
    plan.discard();
    const plain = planDeliveryStream(s3Config(), { dataDir: dir.path });
    expect(plain.bufferedBytes).toBe(5 * MIB); // Firehose's default SizeInMBs
    plain.discard();
    // A source for it: twice the bytes (at least the sources' 64 MiB default), 16,384 lines per MiB.
    expect(sourceBudgetFor(18 * MIB)).toEqual({ maxInFlightBytes: 64 * MIB, maxInFlightRecords: 18 * 16_384 });
    expect(sourceBudgetFor(128 * MIB)).toEqual({ maxInFlightBytes: 256 * MIB, maxInFlightRecords: 128 * 16_384 });
    expect(sourceBudgetFor(MIB)).toEqual({ maxInFlightBytes: 64 * MIB, maxInFlightRecords: 16_384 });
  });

  it('should copy every untransformed record to S3BackupConfiguration when S3BackupMode is Enabled', async () => {
    const { handler } = upperCase();
    const summary = await deliveryStreamFromConfig(s3Config({ S3BackupMode: 'Enabled', S3BackupConfiguration: backup, ...processing() }), {
      dataDir: dir.path,
      records: recordsOf(['a', 'b']),
      lambdaHandlers: { enrich: handler },
    }).done;
    expect(summary).toMatchObject({ deliveredRecords: 2, backupRecords: 2 });
    expect(textOf(await filesUnder(`${dir.path}/lake`))).toBe('AB');
    const raw = await filesUnder(`${dir.path}/raw`);
    expect([...raw.keys()]).toEqual([expect.stringMatching(/^source\/\d{4}\//)]);
    expect(textOf(raw)).toBe('ab');
  });

  it('should not back up when S3BackupMode is Disabled (the default), and refuse Enabled without a bucket', async () => {
    await deliveryStreamFromConfig(s3Config({ S3BackupConfiguration: backup }), { dataDir: dir.path, records: recordsOf(['a']) }).done;
    expect((await filesUnder(`${dir.path}/raw`)).size).toBe(0);
    expect(() => deliveryStreamFromConfig(s3Config({ S3BackupMode: 'Enabled' }), { dataDir: dir.path })).toThrow(
      /S3BackupConfiguration must be present when S3BackupMode is Enabled/,
    );
  });

  it('should hold the backup buffer to its own ranges (no zero buffering)', () => {
    expect(() =>
      deliveryStreamFromConfig(
        s3Config({ S3BackupMode: 'Enabled', S3BackupConfiguration: { ...backup, BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 0 } } }),
        { dataDir: dir.path },
      ),
    ).toThrow(
      'ExtendedS3DestinationConfiguration.S3BackupConfiguration.BufferingHints.IntervalInSeconds must be an integer from 60 to 900 (seconds); got 0',
    );
  });

  it('should partition objects by the Lambda processor partition keys with DynamicPartitioningConfiguration', async () => {
    const byCustomer: LocalTransformation = (event) => ({
      records: event.records.map((r) => ({
        recordId: r.recordId,
        result: 'Ok' as const,
        data: r.data,
        metadata: { partitionKeys: { customer: (JSON.parse(Buffer.from(r.data, 'base64').toString()) as { c: string }).c } },
      })),
    });
    const config = s3Config({
      Prefix: 'customer=!{partitionKeyFromLambda:customer}/',
      ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/',
      BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 60 },
      DynamicPartitioningConfiguration: { Enabled: true, RetryOptions: { DurationInSeconds: 60 } },
      ...processing(),
    });
    await deliveryStreamFromConfig(config, {
      dataDir: dir.path,
      records: recordsOf(['{"c":"acme"}', '{"c":"globex"}', '{"c":"acme"}']),
      lambdaHandlers: { enrich: byCustomer },
    }).done;
    const files = await filesUnder(`${dir.path}/lake`);
    expect([...files.keys()].map((k) => k.split('/')[0])).toEqual(['customer=acme', 'customer=globex']);
    expect(textOf(new Map([...files].filter(([k]) => k.startsWith('customer=acme/'))))).toBe('{"c":"acme"}{"c":"acme"}');
  });

  it('should flush the fullest partitions once all hold SizeInMBs together: behind the Lambda, a source whose budget they held would wait for IntervalInSeconds', async () => {
    const MIB = 1_048_576;
    const byPrefix: LocalTransformation = (event) => ({
      records: event.records.map((r) => ({
        recordId: r.recordId,
        result: 'Ok' as const,
        data: r.data,
        metadata: { partitionKeys: { k: Buffer.from(r.data, 'base64').subarray(0, 3).toString() } },
      })),
    });
    const source = new Subject<string>();
    const stream = deliveryStreamFromConfig(
      s3Config({
        Prefix: 'k=!{partitionKeyFromLambda:k}/',
        ErrorOutputPrefix: 'e/',
        BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 900 },
        DynamicPartitioningConfiguration: { Enabled: true },
        ...processing(),
      }),
      { dataDir: dir.path, records: source.pipe(toRecords()), lambdaHandlers: { enrich: byPrefix } },
    );
    const first = firstValueFrom(stream.results);
    // 70 records of 1 MiB, each its own partition, and the source still open: 70 MiB buffered in all, no
    // partition near its 64 MiB. Before, nothing went out for the interval (900 s): the test timed out.
    for (let i = 0; i < 70; i++) source.next(String(i).padStart(3, '0') + 'x'.repeat(MIB - 3));
    expect((await first).records).toHaveLength(1);
    source.complete();
    expect(await stream.done).toMatchObject({ deliveredRecords: 70, deliveredBatches: 70 });
  }, 60_000);

  it('should refuse dynamic partitioning without a Lambda or MetadataExtraction processor, JQ keys without MetadataExtraction, or below 64 MiB', () => {
    const dp = { Prefix: 'k=!{partitionKeyFromLambda:k}/', ErrorOutputPrefix: 'e/', DynamicPartitioningConfiguration: { Enabled: true } };
    expect(() => deliveryStreamFromConfig(s3Config(dp), { dataDir: dir.path })).toThrow(
      /^ExtendedS3DestinationConfiguration\.DynamicPartitioningConfiguration\.Enabled must be true only with an enabled Lambda or MetadataExtraction processor/,
    );
    expect(() =>
      deliveryStreamFromConfig(s3Config({ ...dp, Prefix: 'k=!{partitionKeyFromQuery:k}/', ...processing() }), { dataDir: dir.path }),
    ).toThrow(
      /^ExtendedS3DestinationConfiguration\.Prefix must be a prefix without !\{partitionKeyFromQuery:…\} unless a MetadataExtraction processor runs/,
    );
    expect(() =>
      deliveryStreamFromConfig(s3Config({ ...dp, BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 60 }, ...processing() }), {
        dataDir: dir.path,
      }),
    ).toThrow('ExtendedS3DestinationConfiguration.BufferingHints.SizeInMBs must be an integer from 64 to 128 (MiB); got 5');
    expect(() =>
      deliveryStreamFromConfig(
        s3Config({
          ...dp,
          DynamicPartitioningConfiguration: { Enabled: true, RetryOptions: { DurationInSeconds: 7201 } },
          ...processing(),
        }),
        { dataDir: dir.path },
      ),
    ).toThrow(
      'ExtendedS3DestinationConfiguration.DynamicPartitioningConfiguration.RetryOptions.DurationInSeconds must be an integer from 0 to 7200 (seconds); got 7201',
    );
    // Partition key expressions without dynamic partitioning are refused by the key layout's own rules.
    expect(() =>
      deliveryStreamFromConfig(s3Config({ Prefix: 'k=!{partitionKeyFromLambda:k}/', ErrorOutputPrefix: 'e/' }), { dataDir: dir.path }),
    ).toThrow(InvalidConfigurationError);
  });
});
