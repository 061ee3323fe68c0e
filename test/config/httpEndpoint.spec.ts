import { afterEach, describe, expect, it } from 'vitest';
import { deliveryStreamFromConfig, httpEndpointListener, type HttpEndpointRequestMeta } from '../../src/index.js';
import { startServer, type TestServer } from '../receivers/http/support.js';
import { filesUnder, recordsOf, textOf, useDataDir } from './support.js';

/** An HTTP endpoint configuration for `url`, failures to bucket `failures`. */
function httpConfig(url: string, extra: Record<string, unknown> = {}, endpoint: Record<string, unknown> = {}): any {
  return {
    DeliveryStreamName: 'hooks',
    HttpEndpointDestinationConfiguration: {
      EndpointConfiguration: { Url: url, Name: 'receiver', ...endpoint },
      S3Configuration: { RoleARN: 'arn:aws:iam::123456789012:role/firehose', BucketARN: 'arn:aws:s3:::failures' },
      ...extra,
    },
  };
}

describe('deliveryStreamFromConfig: HttpEndpointDestinationConfiguration', () => {
  const dir = useDataDir();
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** A real receiver of Firehose's HTTP endpoint protocol; `fail` makes it answer 500. */
  async function receiver(options: { accessKey?: string; fail?: boolean } = {}) {
    const received: Array<{ data: string; meta: HttpEndpointRequestMeta }> = [];
    const encodings: Array<string | undefined> = [];
    const listener = httpEndpointListener(
      (records, meta) => {
        if (options.fail) throw new Error('endpoint down');
        for (const r of records) received.push({ data: r.data.toString('utf8'), meta });
      },
      options.accessKey === undefined ? {} : { accessKey: options.accessKey },
    );
    server = await startServer((req, res) => {
      encodings.push(req.headers['content-encoding']);
      listener(req, res);
    });
    return { url: `${server.origin}/ingest`, received, encodings };
  }

  it('should POST records with the access key, common attributes and the stream ARN', async () => {
    const endpoint = await receiver({ accessKey: 'secret-key' });
    const stream = deliveryStreamFromConfig(
      httpConfig(
        endpoint.url,
        { RequestConfiguration: { CommonAttributes: [{ AttributeName: 'env', AttributeValue: 'test' }] } },
        { AccessKey: 'secret-key' },
      ),
      { dataDir: dir.path, records: recordsOf(['a', 'b']) },
    );
    expect(stream.description).toBe(`Direct PUT → receiver ${endpoint.url} (failures → ${dir.path}/failures)`);
    const summary = await stream.done;
    expect(summary).toMatchObject({ deliveredRecords: 2, errorOutputRecords: 0 });
    expect(endpoint.received.map((r) => r.data)).toEqual(['a', 'b']);
    expect(endpoint.received[0]!.meta).toMatchObject({ sourceArn: stream.arn, commonAttributes: { env: 'test' } });
    expect(endpoint.encodings).toEqual([undefined]);
  });

  it('should gzip the body with RequestConfiguration.ContentEncoding GZIP', async () => {
    const endpoint = await receiver();
    await deliveryStreamFromConfig(httpConfig(endpoint.url, { RequestConfiguration: { ContentEncoding: 'GZIP' } }), {
      dataDir: dir.path,
      records: recordsOf(['z']),
    }).done;
    expect(endpoint.encodings).toEqual(['gzip']);
    expect(endpoint.received.map((r) => r.data)).toEqual(['z']);
  });

  it('should write http-endpoint-failed records to the S3Configuration bucket once RetryOptions.DurationInSeconds is over (0: no retry)', async () => {
    const endpoint = await receiver({ fail: true });
    const stream = deliveryStreamFromConfig(
      httpConfig(endpoint.url, {
        RetryOptions: { DurationInSeconds: 0 },
        S3Configuration: {
          RoleARN: 'arn:aws:iam::123456789012:role/firehose',
          BucketARN: 'arn:aws:s3:::failures',
          ErrorOutputPrefix: 'failed/!{firehose:error-output-type}/',
        },
      }),
      {
        dataDir: dir.path,
        records: recordsOf(['lost?']),
      },
    );
    const results: number[] = [];
    stream.results.subscribe((r) => results.push(r.attempts));
    const summary = await stream.done;
    expect(summary).toMatchObject({ deliveredRecords: 0, errorOutputRecords: 1 });
    expect(results).toEqual([1]);
    const failures = await filesUnder(`${dir.path}/failures/failed`);
    expect([...failures.keys()]).toEqual([expect.stringMatching(/^http-endpoint-failed\/hooks-1-/)]);
    const failure = JSON.parse(textOf(failures)) as { errorCode: string; rawData: string };
    expect(failure.errorCode).toBe('HttpEndpoint.DestinationException');
    expect(Buffer.from(failure.rawData, 'base64').toString()).toBe('lost?');
  });

  it('should also copy every source record to the S3Configuration bucket with S3BackupMode AllData (not with FailedDataOnly)', async () => {
    const endpoint = await receiver();
    await deliveryStreamFromConfig(httpConfig(endpoint.url, { S3BackupMode: 'AllData' }), {
      dataDir: dir.path,
      records: recordsOf(['a', 'b']),
    }).done;
    expect(endpoint.received.map((r) => r.data)).toEqual(['a', 'b']);
    expect(textOf(await filesUnder(`${dir.path}/failures`))).toBe('ab');

    await deliveryStreamFromConfig(
      httpConfig(endpoint.url, {
        S3BackupMode: 'FailedDataOnly',
        S3Configuration: { RoleARN: 'arn:aws:iam::123456789012:role/firehose', BucketARN: 'arn:aws:s3:::other' },
      }),
      {
        dataDir: dir.path,
        records: recordsOf(['c']),
      },
    ).done;
    expect((await filesUnder(`${dir.path}/other`)).size).toBe(0);
  });

  it('should buffer by BufferingHints, in the HTTP endpoint ranges', async () => {
    const endpoint = await receiver();
    const batches: number[] = [];
    const stream = deliveryStreamFromConfig(httpConfig(endpoint.url, { BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 } }), {
      dataDir: dir.path,
      records: recordsOf(['x'.repeat(700_000), 'y'.repeat(700_000)]),
    });
    stream.results.subscribe((r) => batches.push(r.records.length));
    await stream.done;
    expect(batches).toEqual([1, 1]);
    expect(() =>
      deliveryStreamFromConfig(httpConfig(endpoint.url, { BufferingHints: { SizeInMBs: 65, IntervalInSeconds: 60 } }), {
        dataDir: dir.path,
      }),
    ).toThrow('HttpEndpointDestinationConfiguration.BufferingHints.SizeInMBs must be an integer from 1 to 64 (MiB); got 65');
  });

  it('should refuse SecretsManagerConfiguration, a bad URL and out-of-range retries by name', () => {
    const url = 'https://example.invalid/';
    expect(() =>
      deliveryStreamFromConfig(
        httpConfig(url, {
          SecretsManagerConfiguration: { Enabled: true, SecretARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:k' },
        }),
        { dataDir: dir.path },
      ),
    ).toThrow(/^HttpEndpointDestinationConfiguration\.SecretsManagerConfiguration is not supported yet/);
    expect(() => deliveryStreamFromConfig(httpConfig('ftp://x/'), { dataDir: dir.path })).toThrow(
      /^HttpEndpointDestinationConfiguration\.EndpointConfiguration\.Url must be/,
    );
    expect(() => deliveryStreamFromConfig(httpConfig(url, { RetryOptions: { DurationInSeconds: 7201 } }), { dataDir: dir.path })).toThrow(
      'HttpEndpointDestinationConfiguration.RetryOptions.DurationInSeconds must be an integer from 0 to 7200 (seconds); got 7201',
    );
    expect(() =>
      deliveryStreamFromConfig(httpConfig(url, { RequestConfiguration: { ContentEncoding: 'BR' } }), { dataDir: dir.path }),
    ).toThrow(/ContentEncoding must be one of NONE, GZIP/);
    const noBucket = httpConfig(url);
    delete noBucket.HttpEndpointDestinationConfiguration.S3Configuration;
    expect(() => deliveryStreamFromConfig(noBucket, { dataDir: dir.path })).toThrow(/S3Configuration must be present/);
  });
});
