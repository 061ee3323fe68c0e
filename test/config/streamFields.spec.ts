import { defer } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { deliveryStreamFromConfig, planDeliveryStream } from '../../src/index.js';
import { filesUnder, recordsOf, s3Config, textOf, useDataDir } from './support.js';

describe('deliveryStreamFromConfig: the stream, its source and the older S3 destination', () => {
  const dir = useDataDir();

  it('should name the stream ARN after environment.region and environment.accountId, and put the name in object keys', async () => {
    const stream = deliveryStreamFromConfig(s3Config({}, 'orders.v2'), {
      dataDir: dir.path,
      records: recordsOf(['o']),
      region: 'eu-west-1',
      accountId: '111122223333',
    });
    expect(stream.arn).toBe('arn:aws:firehose:eu-west-1:111122223333:deliverystream/orders.v2');
    await stream.done;
    expect([...(await filesUnder(`${dir.path}/lake`)).keys()][0]).toMatch(/\/orders\.v2-1-/);
    expect(() => deliveryStreamFromConfig(s3Config(), { dataDir: dir.path, region: 'mars' })).toThrow(
      'environment.region must be an AWS region name such as us-east-1; got "mars"',
    );
  });

  it('should run the older S3DestinationConfiguration, which has no processing', async () => {
    const input = {
      DeliveryStreamName: 'legacy',
      S3DestinationConfiguration: {
        RoleARN: 'arn:aws:iam::123456789012:role/f',
        BucketARN: 'arn:aws:s3:::old',
        Prefix: 'p/',
        CompressionFormat: 'UNCOMPRESSED',
      },
    };
    await deliveryStreamFromConfig(input as never, { dataDir: dir.path, records: recordsOf(['a', 'b']) }).done;
    expect(textOf(await filesUnder(`${dir.path}/old/p`))).toBe('ab');
    const withProcessing = {
      ...input,
      S3DestinationConfiguration: { ...input.S3DestinationConfiguration, ProcessingConfiguration: { Enabled: false } },
    };
    expect(() => deliveryStreamFromConfig(withProcessing as never, { dataDir: dir.path })).toThrow(
      'S3DestinationConfiguration.ProcessingConfiguration is not a field of S3DestinationConfiguration',
    );
    expect(() =>
      deliveryStreamFromConfig({ ...s3Config(), S3DestinationConfiguration: input.S3DestinationConfiguration } as never, {
        dataDir: dir.path,
      }),
    ).toThrow(/^S3DestinationConfiguration must be absent/);
  });

  it('should check the fields it accepts without acting on them: Tags, RoleARN, CloudWatchLoggingOptions, ThroughputHintInMBs', async () => {
    const accepted = {
      ...s3Config({
        CloudWatchLoggingOptions: { Enabled: true, LogGroupName: '/aws/kinesisfirehose/clicks', LogStreamName: 'DestinationDelivery' },
      }),
      Tags: [{ Key: 'team', Value: 'data' }],
      DeliveryStreamType: 'DirectPut',
      DirectPutSourceConfiguration: { ThroughputHintInMBs: 5 },
    };
    expect((await deliveryStreamFromConfig(accepted, { dataDir: dir.path, records: recordsOf(['t']) }).done).deliveredRecords).toBe(1);
    expect(() => deliveryStreamFromConfig({ ...accepted, Tags: [{ Value: 'x' }] }, { dataDir: dir.path })).toThrow(
      'Tags[0].Key must be present; got nothing',
    );
    expect(() =>
      deliveryStreamFromConfig({ ...accepted, DirectPutSourceConfiguration: { ThroughputHintInMBs: 101 } }, { dataDir: dir.path }),
    ).toThrow('DirectPutSourceConfiguration.ThroughputHintInMBs must be an integer from 1 to 100 (MB/s); got 101');
    expect(() => deliveryStreamFromConfig(s3Config({ RoleARN: 'firehose-role' }), { dataDir: dir.path })).toThrow(
      /^ExtendedS3DestinationConfiguration\.RoleARN must be an IAM role ARN/,
    );
    expect(() => deliveryStreamFromConfig(s3Config({ CloudWatchLoggingOptions: { Enabled: 'yes' } }), { dataDir: dir.path })).toThrow(
      /CloudWatchLoggingOptions\.Enabled must be true or false/,
    );
  });

  it('should check and build a stream without starting it with planDeliveryStream, and start it once', async () => {
    let subscribed = false;
    const records = defer(() => {
      subscribed = true;
      return recordsOf(['p']);
    });
    const plan = planDeliveryStream(s3Config(), { dataDir: dir.path, records });
    expect(plan.description).toBe(`Direct PUT → ${dir.path}/lake`);
    expect(subscribed).toBe(false);
    const stream = plan.start();
    expect(subscribed).toBe(true);
    expect((await stream.done).deliveredRecords).toBe(1);
    expect(() => plan.start()).toThrow('planDeliveryStream: clicks was already started');
  });
});
