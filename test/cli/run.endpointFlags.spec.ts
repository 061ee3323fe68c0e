import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamFlagsOf } from '../../src/cli/streamFlags.js';
import { filesUnder } from '../config/support.js';
import { selfSignedCertificate } from '../receivers/http/support.js';
import { startDescribeDomainTestServer } from '../support/describeDomainTestServer.js';
import { startGlueGetTableTestServer } from '../support/glueGetTableTestServer.js';
import { startOpenSearchBulkServer, type OpenSearchBulkServer } from '../support/openSearchBulkServer.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { s3ClientFor, startRadosGateway, type RadosGateway } from '../support/radosgw.js';
import { startRedshiftDataApiServer, type RedshiftDataApiServer } from '../support/redshiftDataApiServer.js';
import { startRedshiftStandIn, type RedshiftStandIn } from '../support/redshiftStandIn.js';
import { root, runCli } from './runSupport.js';

// `rx-firehose run` with --glue-endpoint, --redshift-data-endpoint and --opensearch-endpoint: each flag must
// reach the client the configuration needs, in the CLI's own process, against the test servers of those APIs.

const ROLE = 'arn:aws:iam::123456789012:role/firehose';
/** The SDK clients built for the endpoints take credentials and region from the environment (the servers do not check signatures). */
const AWS_ENV = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rx-firehose-endpoint-flags-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Writes `config` and `lines` to files and runs `rx-firehose run` on them with `flags`. */
async function run(name: string, config: unknown, lines: string[], flags: string[], env: Record<string, string> = AWS_ENV) {
  const configFile = join(dir, `${name}.json`);
  const input = join(dir, `${name}.jsonl`);
  await writeFile(configFile, JSON.stringify(config));
  await writeFile(input, lines.map((l) => `${l}\n`).join(''));
  return runCli(['--config', configFile, '--input', input, '--data-dir', join(dir, name), '--quiet', ...flags], env).done;
}

describe('rx-firehose run --glue-endpoint', () => {
  let glue: Awaited<ReturnType<typeof startGlueGetTableTestServer>>;
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
        ],
      },
    ]);
  });
  afterAll(() => glue?.stop());

  it('should read the Glue table of a DataFormatConversionConfiguration from the endpoint, in the table’s Region', async () => {
    const config = {
      DeliveryStreamName: 'trips',
      ExtendedS3DestinationConfiguration: {
        RoleARN: ROLE,
        BucketARN: 'arn:aws:s3:::lake',
        Prefix: 'trips/',
        ErrorOutputPrefix: 'errors/',
        BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 60 },
        DataFormatConversionConfiguration: {
          Enabled: true,
          SchemaConfiguration: { RoleARN: ROLE, DatabaseName: 'db', TableName: 'trips', Region: 'eu-west-1' },
          InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: {} } },
          OutputFormatConfiguration: { Serializer: { ParquetSerDe: {} } },
        },
      },
    };
    const result = await run('glue', config, ['{"vendor":"A","fare":12.5}', '{"vendor":"B","fare":7}'], ['--glue-endpoint', glue.endpoint]);
    expect(result.code, result.stderr).toBe(0);
    expect(glue.requests).toEqual([
      {
        target: 'AWSGlue.GetTable',
        body: { DatabaseName: 'db', Name: 'trips' },
        scope: expect.stringMatching(/\/eu-west-1\/glue\/aws4_request$/),
      },
    ]);
    const files = await filesUnder(join(dir, 'glue', 'lake'));
    const parquet = [...files.entries()].filter(([key]) => key.startsWith('trips/'));
    expect(parquet).toHaveLength(1);
    expect(parquet[0]![0]).toMatch(/\.parquet$/);
    expect(parquet[0]![1].subarray(0, 4).toString('latin1')).toBe('PAR1');
  }, 60_000);
});

describe('rx-firehose run --opensearch-endpoint', () => {
  let bulk: OpenSearchBulkServer;
  let control: Awaited<ReturnType<typeof startDescribeDomainTestServer>>;
  let caFile: string;
  beforeAll(async () => {
    // A domain is reached over https: a self-signed certificate the CLI trusts through NODE_EXTRA_CA_CERTS.
    const tls = selfSignedCertificate();
    caFile = join(dir, 'ca.pem');
    await writeFile(caFile, tls.cert);
    bulk = await startOpenSearchBulkServer({ tls });
    control = await startDescribeDomainTestServer({ logs: { Endpoint: new URL(bulk.endpoint).host } });
  });
  afterAll(async () => {
    await control?.stop();
    await bulk?.stop();
  });

  it('should resolve a DomainARN with DescribeDomain at the endpoint, in the ARN’s region, and index into that domain', async () => {
    const config = {
      DeliveryStreamName: 'logs',
      AmazonopensearchserviceDestinationConfiguration: {
        RoleARN: ROLE,
        DomainARN: 'arn:aws:es:eu-west-1:123456789012:domain/logs',
        IndexName: 'logs',
        IndexRotationPeriod: 'NoRotation',
        S3Configuration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::failures' },
      },
    };
    const result = await run('opensearch', config, ['{"n":1}', '{"n":2}'], ['--opensearch-endpoint', control.endpoint], {
      ...AWS_ENV,
      NODE_EXTRA_CA_CERTS: caFile,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(control.requests).toEqual([{ domainName: 'logs', scope: expect.stringMatching(/\/eu-west-1\/es\/aws4_request$/) }]);
    expect(bulk.documents().map((d) => [d.index, d.source])).toEqual([
      ['logs', '{"n":1}'],
      ['logs', '{"n":2}'],
    ]);
  }, 60_000);
});

describe('rx-firehose run --redshift-data-endpoint', () => {
  let gateway: RadosGateway;
  let postgres: PostgresServer;
  let standIn: RedshiftStandIn;
  let dataApi: RedshiftDataApiServer;
  let s3: S3Client;
  beforeAll(async () => {
    [gateway, postgres] = await Promise.all([startRadosGateway(), startPostgres()]);
    s3 = s3ClientFor(gateway);
    await s3.send(new CreateBucketCommand({ Bucket: 'staging' }));
    standIn = await startRedshiftStandIn({ postgresPort: postgres.port, s3 });
    dataApi = await startRedshiftDataApiServer({ clusterUrl: standIn.url, workgroups: ['analytics'], clusters: [] });
  }, 180_000);
  afterAll(async () => {
    await dataApi?.stop();
    await standIn?.stop();
    s3?.destroy();
    await Promise.all([postgres?.stop(), gateway?.stop()]);
  });

  it('should run the COPY of RxFirehoseDataApiConfiguration through the Data API at the endpoint', async () => {
    const db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    try {
      await db.query('CREATE TABLE events (id int, kind text)');
      const config = {
        DeliveryStreamName: 'events',
        RedshiftDestinationConfiguration: {
          RoleARN: ROLE,
          CopyCommand: { DataTableName: 'events', DataTableColumns: 'id, kind', CopyOptions: "JSON 'auto'" },
          S3Configuration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::staging' },
          RxFirehoseDataApiConfiguration: { WorkgroupName: 'analytics', Database: 'postgres', PollIntervalInSeconds: 0.1 },
        },
      };
      const result = await run(
        'redshift',
        config,
        ['{"id":1,"kind":"x"}', '{"id":2,"kind":"y"}'],
        ['--s3-endpoint', gateway.endpoint, '--redshift-data-endpoint', dataApi.endpoint],
        { ...AWS_ENV, AWS_ACCESS_KEY_ID: gateway.accessKeyId, AWS_SECRET_ACCESS_KEY: gateway.secretAccessKey },
      );
      expect(result.code, result.stderr).toBe(0);
      expect(dataApi.statements).toEqual([
        expect.objectContaining({
          WorkgroupName: 'analytics',
          Database: 'postgres',
          Status: 'FINISHED',
          Sql: expect.stringMatching(/^COPY /),
        }),
      ]);
      expect((await db.query('SELECT id, kind FROM events ORDER BY id')).rows).toEqual([
        { id: 1, kind: 'x' },
        { id: 2, kind: 'y' },
      ]);
    } finally {
      await db.end();
    }
  }, 120_000);
});

describe('endpoint flags: URLs', () => {
  it('should refuse an endpoint that is not an http: or https: URL without credentials, naming the flag and the value', async () => {
    expect(await streamFlagsOf({ 'glue-endpoint': 'ftp://127.0.0.1:21' })).toBe(
      '--glue-endpoint must be an http: or https: URL without credentials; got ftp://127.0.0.1:21',
    );
    expect(await streamFlagsOf({ 'redshift-data-endpoint': '127.0.0.1:8080' })).toBe(
      '--redshift-data-endpoint must be an http: or https: URL without credentials; got 127.0.0.1:8080',
    );
    expect(await streamFlagsOf({ 'opensearch-endpoint': 'http://user:secret@127.0.0.1:9200' })).toBe(
      '--opensearch-endpoint must be an http: or https: URL without credentials (the SDK takes credentials from its usual chain); got http://(credentials not shown)@127.0.0.1:9200/',
    );
    expect(await streamFlagsOf({ 's3-endpoint': 'not a url' })).toBe(
      '--s3-endpoint must be an http: or https: URL without credentials; got not a url',
    );
    expect(await streamFlagsOf({ 'glue-endpoint': 'https://glue.test:8443/base' })).toMatchObject({
      environment: { endpoints: { glue: 'https://glue.test:8443/base' } },
    });
  });

  it('should exit 2 with the message for a bad endpoint, in run and in serve', async () => {
    await writeFile(join(dir, 'any.json'), '{}');
    const bad = await runCli(['--config', join(dir, 'any.json'), '--redshift-data-endpoint', 'ftp://x']).done;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'rx-firehose run: --redshift-data-endpoint must be an http: or https: URL without credentials; got ftp://x',
    );
    expect(bad.stderr).toContain('--opensearch-endpoint URL');
    const serve = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'src/cli/serve.ts', '--port', '0', '--data-dir', join(dir, 'serve'), '--opensearch-endpoint', 'ftp://x'],
        { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(serve.code).toBe(2);
    expect(serve.stderr).toContain(
      'rx-firehose serve: --opensearch-endpoint must be an http: or https: URL without credentials; got ftp://x',
    );
    expect(serve.stderr).toContain('--glue-endpoint URL');
  }, 60_000);
});
