/**
 * redshiftDestination through the Redshift Data API (Redshift Serverless), with the real
 * `@aws-sdk/client-redshift-data` against the Redshift Data API test server, which runs each statement on
 * the Redshift test stand-in in front of real PostgreSQL: COPY … MANIFEST really loads what stage 1 staged
 * on RADOS Gateway (a real S3).
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import pg from 'pg';
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { deliverTo } from '../../../operators/index.js';
import { redshiftDestination, type RedshiftDestinationOptions } from '../../../src/destinations/redshift/index.js';
import {
  deliveryStreamFromConfig,
  InvalidConfigurationError,
  InvalidOptionError,
  planDeliveryStream,
  toRecords,
} from '../../../src/index.js';
import type { FirehoseRecord } from '../../../src/index.js';
import { trackSettlements } from '../../../src/testing/index.js';
import { kinesisClientFor, startKinesalite, type Kinesalite } from '../../support/kinesalite.js';
import { startPostgres, type PostgresServer } from '../../support/postgres.js';
import { s3ClientFor, startRadosGateway, type RadosGateway } from '../../support/radosgw.js';
import { startRedshiftDataApiServer, type RedshiftDataApiServer } from '../../support/redshiftDataApiServer.js';
import { startRedshiftStandIn, type RedshiftStandIn } from '../../support/redshiftStandIn.js';
import { waitFor } from '../../sources/kinesis/waitFor.js';
import { IdleVirtualTime } from './idleVirtualTime.js';
import { kinesisIntoRedshift } from './kinesisIntoRedshift.js';

let gateway: RadosGateway;
let postgres: PostgresServer;
let standIn: RedshiftStandIn;
let dataApi: RedshiftDataApiServer;
let s3: S3Client;
let db: pg.Pool;
let redshiftData: RedshiftDataClient;
let kinesalite: Kinesalite;
let kinesis: KinesisClient;
beforeAll(async () => {
  [gateway, postgres, kinesalite] = await Promise.all([startRadosGateway(), startPostgres(), startKinesalite()]);
  kinesis = kinesisClientFor(kinesalite.endpoint);
  s3 = s3ClientFor(gateway);
  standIn = await startRedshiftStandIn({ postgresPort: postgres.port, s3 });
  dataApi = await startRedshiftDataApiServer({ clusterUrl: standIn.url, workgroups: ['analytics'], clusters: ['examplecluster'] });
  redshiftData = dataApiClient();
  db = new pg.Pool({ connectionString: postgres.url, max: 2 });
  db.on('error', () => undefined);
}, 180_000);
afterAll(async () => {
  redshiftData?.destroy();
  kinesis?.destroy();
  await kinesalite?.stop();
  await dataApi?.stop();
  await db?.end();
  await standIn?.stop();
  s3?.destroy();
  await Promise.all([postgres?.stop(), gateway?.stop()]);
});

function dataApiClient(maxAttempts = 3): RedshiftDataClient {
  return new RedshiftDataClient({
    endpoint: dataApi.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: new NodeHttpHandler(),
    maxAttempts,
  });
}

const ARRIVAL = Date.UTC(2026, 11, 2, 9, 30);
const recordsOf = (docs: readonly object[]): FirehoseRecord[] =>
  docs.map((doc, i) => ({
    recordId: `r${i}`,
    data: new TextEncoder().encode(`${JSON.stringify(doc)}\n`),
    approximateArrivalTimestamp: ARRIVAL + i,
  }));
let n = 0;
/** A fresh bucket and table for one test. */
const fresh = async (ddl = '(id int, kind text)') => {
  const id = ++n;
  const bucket = `data-api-${id}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await db.query(`CREATE TABLE serverless_${id} ${ddl}`);
  return { bucket, table: `serverless_${id}` };
};
const options = (bucket: string, table: string, more: Partial<RedshiftDestinationOptions> = {}): RedshiftDestinationOptions => ({
  dataApi: { client: redshiftData, workgroupName: 'analytics', database: 'postgres', pollIntervalMs: 100 },
  table,
  columns: ['id', 'kind'],
  copyOptions: "JSON 'auto'",
  credentials: 'aws_iam_role=arn:aws:iam::123456789012:role/firehose',
  staging: { client: s3, bucket, streamName: 'events' },
  ...more,
});
const keysOf = async (bucket: string): Promise<string[]> =>
  ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key!).sort();
const read = async (bucket: string, key: string): Promise<string> =>
  Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray()).toString();
const rowsOf = async (table: string) => (await db.query(`SELECT id, kind FROM ${table} ORDER BY id`)).rows;
const copiesInto = (table: string) => standIn.statements.filter((s) => s.startsWith(`COPY "${table}"`)).length;
/**
 * The Data API client, with every call counted as in flight by `clock` and logged with its virtual time.
 * With `untilIdle`, a call is in flight until the statements the server runs are done too, so virtual time
 * does not pass while the database works (each statement's outcome is known at its first poll).
 */
const clocked = (
  clock: IdleVirtualTime,
  log: Array<{ operation: string; atMs: number; status?: string | undefined }>,
  untilIdle = true,
) => ({
  send: (command: { constructor: { name: string } }, ...rest: unknown[]) => {
    const operation = command.constructor.name.replace(/Command$/, '');
    const atMs = clock.scheduler.now();
    const call = (redshiftData.send as (c: unknown, ...r: unknown[]) => Promise<{ Status?: string }>)(command, ...rest);
    return clock.count(
      call
        .then(async (out) => {
          if (untilIdle) await dataApi.idle();
          return out;
        })
        .then((out) => {
          log.push({ operation, atMs, status: out.Status });
          return out;
        }),
    );
  },
});

describe('redshiftDestination through the Redshift Data API (test server; staging on RADOS Gateway)', () => {
  it('should refuse invalid Data API options at the call, naming the option and the range', () => {
    const ok = options('data-api-x', 'events');
    const api = ok.dataApi!;
    expect(() => redshiftDestination({ ...ok, pool: new pg.Pool() })).toThrow(/pool .*either pool .* or dataApi/);
    expect(() => redshiftDestination({ ...ok, dataApi: undefined })).toThrow(InvalidOptionError);
    expect(() => redshiftDestination({ ...ok, dataApi: { ...api, pollIntervalMs: 99 } })).toThrow(
      /dataApi\.pollIntervalMs .*≥ 100 and ≤ 300000 \(ms\); got 99/,
    );
    expect(() => redshiftDestination({ ...ok, dataApi: { ...api, clusterIdentifier: 'c' } })).toThrow(/dataApi\.workgroupName/);
    expect(() => redshiftDestination({ ...ok, dataApi: { ...api, dbUser: 'firehose' } })).toThrow(/dataApi\.dbUser/);
    expect(() => redshiftDestination({ ...ok, dataApi: { ...api, database: '' } })).toThrow(/dataApi\.database/);
    expect(() => redshiftDestination({ ...ok, dataApi: { ...api, client: {} as never } })).toThrow(/dataApi\.client/);
    expect(() =>
      redshiftDestination({ ...ok, dataApi: { client: redshiftData, clusterIdentifier: 'examplecluster', database: 'dev' } }),
    ).toThrow(/dataApi\.dbUser .*either dbUser .* or secretArn/);
  });

  it('should COPY through ExecuteStatement on a Serverless workgroup, and leave rows equal to the records', async () => {
    const { bucket, table } = await fresh();
    const records = recordsOf([
      { id: 1, kind: 'click' },
      { id: 2, kind: 'view', extra: true },
      { id: 3, kind: null },
    ]);
    const log = trackSettlements(records);
    const [result] = await lastValueFrom(from([records]).pipe(deliverTo(redshiftDestination(options(bucket, table))), toArray()));
    expect(result).toMatchObject({ status: 'delivered', destination: 'Redshift', attempts: 2 });
    expect(await rowsOf(table)).toEqual([
      { id: 1, kind: 'click' },
      { id: 2, kind: 'view' },
      { id: 3, kind: null },
    ]);
    const manifest = (await keysOf(bucket)).find((k) => k.startsWith('manifests/'))!;
    const statement = dataApi.statements.at(-1)!;
    expect(statement).toMatchObject({
      Sql: `COPY "${table}" ("id", "kind") FROM 's3://${bucket}/${manifest}' CREDENTIALS 'aws_iam_role=arn:aws:iam::123456789012:role/firehose' MANIFEST JSON 'auto'`,
      WorkgroupName: 'analytics',
      Database: 'postgres',
      ClientToken: expect.stringMatching(/^[0-9a-f]{64}$/),
      Status: 'FINISHED',
      ResultRows: 3,
    });
    expect(result!.location).toBe(`s3://${bucket}/${manifest} → ${table} (statement ${statement.Id})`);
    expect(log.events.map((e) => e.outcome)).toEqual(['delivered', 'delivered', 'delivered']);
  });

  it('should COPY on a provisioned cluster with ClusterIdentifier and DbUser', async () => {
    const { bucket, table } = await fresh();
    const d = redshiftDestination(
      options(bucket, table, {
        dataApi: { client: redshiftData, clusterIdentifier: 'examplecluster', dbUser: 'firehose', database: 'postgres' },
      }),
    );
    await lastValueFrom(from([recordsOf([{ id: 5, kind: 'c' }])]).pipe(deliverTo(d), toArray()));
    expect(dataApi.statements.at(-1)).toMatchObject({ ClusterIdentifier: 'examplecluster', DbUser: 'firehose', Status: 'FINISHED' });
    expect(await rowsOf(table)).toEqual([{ id: 5, kind: 'c' }]);
  });

  it('should poll DescribeStatement every pollIntervalMs (virtual time) and settle only when the statement is FINISHED', async () => {
    const { bucket, table } = await fresh();
    const clock = new IdleVirtualTime();
    const calls: Array<{ operation: string; atMs: number; status?: string | undefined }> = [];
    const records = recordsOf([{ id: 1, kind: 'slow' }]);
    const log = trackSettlements(records, () => clock.scheduler.now());
    // The COPY is held at the cluster: the statement stays STARTED until a few polls said so.
    const release = standIn.holdCopies();
    void waitFor(() => calls.filter((c) => c.status === 'STARTED').length >= 3, 'three polls of a running statement').finally(release);
    const d = redshiftDestination(
      options(bucket, table, {
        dataApi: { client: clocked(clock, calls, false), workgroupName: 'analytics', database: 'postgres', pollIntervalMs: 5_000 },
      }),
    );
    const [result] = await lastValueFrom(
      from([records]).pipe(deliverTo(clock.track(d, { waitingFromStage: 1 }), { scheduler: clock.scheduler }), toArray()),
    );
    expect(result).toMatchObject({ status: 'delivered', attempts: 2 });
    const polls = calls.filter((c) => c.operation === 'DescribeStatement');
    expect(calls[0]).toEqual({ operation: 'ExecuteStatement', atMs: 0, status: undefined });
    expect(polls.length).toBeGreaterThanOrEqual(4);
    // One poll every 5 s of virtual time; every one but the last said the COPY was still running.
    expect(polls.map((p) => p.atMs)).toEqual(polls.map((_p, i) => (i + 1) * 5_000));
    expect(polls.map((p) => p.status)).toEqual([...polls.slice(1).map(() => 'STARTED'), 'FINISHED']);
    expect(log.events).toEqual([expect.objectContaining({ outcome: 'delivered', atMs: polls.at(-1)!.atMs })]);
    expect(await rowsOf(table)).toEqual([{ id: 1, kind: 'slow' }]);
  });

  it('should retry a FAILED statement and a throttled ExecuteStatement, then deliver', async () => {
    const { bucket, table } = await fresh();
    const clock = new IdleVirtualTime();
    const calls: Array<{ operation: string; atMs: number; status?: string | undefined }> = [];
    dataApi.rejectNextExecutes(1, 'ActiveStatementsExceededException');
    standIn.failNextCopies(1);
    const d = redshiftDestination(
      options(bucket, table, {
        dataApi: { client: clocked(clock, calls), workgroupName: 'analytics', database: 'postgres', pollIntervalMs: 1_000 },
      }),
    );
    const [result] = await lastValueFrom(
      from([recordsOf([{ id: 9, kind: 'retried' }])]).pipe(
        deliverTo(clock.track(d, { waitingFromStage: 1 }), { scheduler: clock.scheduler, random: () => 0.5 }),
        toArray(),
      ),
    );
    // Staging at 0; COPY rejected at 0 (throttled); at 1 s submitted, FAILED at 2 s; at 4 s again, FINISHED at 5 s.
    expect(clock.sends.map((s) => s.atMs)).toEqual([0, 0, 1_000, 4_000]);
    expect(calls.filter((c) => c.operation === 'DescribeStatement').map((c) => [c.atMs, c.status])).toEqual([
      [2_000, 'FAILED'],
      [5_000, 'FINISHED'],
    ]);
    expect(result).toMatchObject({ status: 'delivered', attempts: 4 });
    expect(await rowsOf(table)).toEqual([{ id: 9, kind: 'retried' }]);
    expect(copiesInto(table)).toBe(2);
  });

  it('should retry a COPY into a dropped table for the retry duration (virtual time), then put its manifest under errors/ with the error', async () => {
    const { bucket, table } = await fresh();
    await db.query(`DROP TABLE ${table}`);
    const clock = new IdleVirtualTime();
    const calls: Array<{ operation: string; atMs: number; status?: string | undefined }> = [];
    const records = recordsOf([
      { id: 1, kind: 'a' },
      { id: 2, kind: 'b' },
    ]);
    const log = trackSettlements(records, () => clock.scheduler.now());
    const d = redshiftDestination(
      options(bucket, table, {
        retryDurationMs: 60_000,
        dataApi: { client: clocked(clock, calls), workgroupName: 'analytics', database: 'postgres', pollIntervalMs: 1_000 },
      }),
    );
    const [result] = await lastValueFrom(
      from([records]).pipe(
        deliverTo(clock.track(d, { waitingFromStage: 1 }), { scheduler: clock.scheduler, random: () => 0.5 }),
        toArray(),
      ),
    );
    // Staging at 0; each COPY FAILED one poll (1 s) after it started; backoff 1, 2, 4, 8, 16 s after each failure.
    expect(clock.sends.map((s) => s.atMs)).toEqual([0, 0, 2_000, 5_000, 10_000, 19_000, 36_000]);
    expect(result).toMatchObject({ status: 'failed-to-error-output', errorCode: 'Redshift.TableNotFound', failed: records });
    expect(log.events.map((e) => [e.outcome, e.atMs])).toEqual([
      ['failed', 37_000],
      ['failed', 37_000],
    ]);
    const keys = await keysOf(bucket);
    const manifest = keys.find((k) => k.startsWith('manifests/'))!;
    const failed = `errors/manifests/2026/12/02/09/${manifest.slice(manifest.lastIndexOf('/') + 1)}`;
    expect(result!.errorLocation).toBe(`s3://${bucket}/${failed}`);
    expect(await read(bucket, failed)).toBe(await read(bucket, manifest));
    expect(JSON.parse(await read(bucket, `${failed}.error.json`))).toEqual({
      manifest: `s3://${bucket}/${manifest}`,
      errorCode: 'Redshift.TableNotFound',
      errorMessage: `relation "${table}" does not exist`,
      attemptsMade: 6,
      attemptEndingTimestamp: 37_000,
      records: 2,
    });
    expect(calls.filter((c) => c.operation === 'ExecuteStatement')).toHaveLength(6);
  });

  it('should not checkpoint a Kinesis shard while the statement of its COPY is not FINISHED', async () => {
    const { bucket, table } = await fresh('(id int)');
    const streamName = 'data-api-checkpoints';
    const release = standIn.holdCopies();
    const { put, checkpoints, results, stop } = await kinesisIntoRedshift(
      kinesis,
      streamName,
      3,
      redshiftDestination(options(bucket, table, { columns: ['id'] })),
    );
    try {
      const polled = () => dataApi.calls.filter((c) => c.operation === 'DescribeStatement' && c.status === 'STARTED').length;
      const before = polled();
      await waitFor(() => polled() >= before + 2, 'two polls of the running COPY');
      expect(checkpoints.get(streamName, put[0]!.shardId)).toBeUndefined();
      expect(results).toEqual([]);
      release();
      await waitFor(
        () => checkpoints.get(streamName, put[0]!.shardId)?.sequenceNumber === put[2]!.sequenceNumber,
        'the checkpoint after FINISHED',
      );
      expect(results.map((r) => [r.status, r.records.length])).toEqual([['delivered', 3]]);
      expect((await db.query(`SELECT id FROM ${table} ORDER BY id`)).rows.map((r) => r.id)).toEqual([1, 2, 3]);
    } finally {
      release();
      stop();
    }
  });

  it.each([
    { when: 'between polls', holdPolls: false },
    { when: 'while a poll is in flight', holdPolls: true },
  ])('should cancel the running statement when the pipeline is unsubscribed $when, and settle nothing', async ({ when, holdPolls }) => {
    const { bucket, table } = await fresh();
    const records = recordsOf([{ id: 1, kind: `cancelled ${when}` }]);
    const log = trackSettlements(records);
    const release = standIn.holdCopies();
    const answerPolls = holdPolls ? dataApi.holdDescribeAnswers() : () => undefined;
    try {
      const subscription = from([records])
        .pipe(deliverTo(redshiftDestination(options(bucket, table))))
        .subscribe();
      // A poll of this table's COPY: answered STARTED (the client is waiting for the next poll), or held.
      await waitFor(
        () =>
          dataApi.calls.some(
            (c) =>
              c.operation === 'DescribeStatement' &&
              (holdPolls || c.status === 'STARTED') &&
              c.id === dataApi.statements.at(-1)?.Id &&
              dataApi.statements.at(-1)!.Sql.includes(`"${table}"`),
          ),
        'a poll of the running COPY',
      );
      const statement = dataApi.statements.at(-1)!;
      subscription.unsubscribe();
      await waitFor(() => dataApi.calls.some((c) => c.operation === 'CancelStatement' && c.id === statement.Id), 'CancelStatement');
      expect(statement.Status).toBe('ABORTED');
      expect(log.events).toEqual([]);
    } finally {
      answerPolls();
      release();
    }
  });

  it('should run the COPY once when an ExecuteStatement answer is lost and the SDK retries it (same ClientToken)', async () => {
    const { bucket, table } = await fresh();
    dataApi.loseNextExecuteAnswers(1);
    const [result] = await lastValueFrom(
      from([recordsOf([{ id: 1, kind: 'once' }])]).pipe(deliverTo(redshiftDestination(options(bucket, table))), toArray()),
    );
    expect(result).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(copiesInto(table)).toBe(1);
    expect(await rowsOf(table)).toEqual([{ id: 1, kind: 'once' }]);
  });

  it('should run the COPY again when the answer stays lost (at least once, as Firehose)', async () => {
    const { bucket, table } = await fresh();
    const once = dataApiClient(1);
    try {
      dataApi.loseNextExecuteAnswers(1);
      const d = redshiftDestination(
        options(bucket, table, { dataApi: { client: once, workgroupName: 'analytics', database: 'postgres', pollIntervalMs: 100 } }),
      );
      const [result] = await lastValueFrom(
        from([recordsOf([{ id: 1, kind: 'twice' }])]).pipe(deliverTo(d, { random: () => 0 }), toArray()),
      );
      await dataApi.idle();
      expect(result).toMatchObject({ status: 'delivered', attempts: 3 });
      expect(copiesInto(table)).toBe(2);
      expect(await rowsOf(table)).toEqual([
        { id: 1, kind: 'twice' },
        { id: 1, kind: 'twice' },
      ]);
    } finally {
      once.destroy();
    }
  });
});

describe('RedshiftDestinationConfiguration with RxFirehoseDataApiConfiguration (an rx-firehose extension)', () => {
  const configuration = (bucket: string, table: string, extension: Record<string, unknown>, more: Record<string, unknown> = {}): any => ({
    DeliveryStreamName: 'events',
    RedshiftDestinationConfiguration: {
      RoleARN: 'arn:aws:iam::123456789012:role/firehose',
      CopyCommand: { DataTableName: table, DataTableColumns: 'id, kind', CopyOptions: "JSON 'auto'" },
      S3Configuration: { RoleARN: 'arn:aws:iam::123456789012:role/firehose', BucketARN: `arn:aws:s3:::${bucket}` },
      RxFirehoseDataApiConfiguration: extension,
      ...more,
    },
  });
  const refusal = (input: unknown): InvalidConfigurationError => {
    try {
      planDeliveryStream(input as never, { s3Client: s3, redshiftDataClient: redshiftData }).discard();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidConfigurationError);
      return err as InvalidConfigurationError;
    }
    throw new Error('expected the configuration to be refused');
  };

  it('should run COPY on the workgroup through the Data API, with a client built for the endpoint', async () => {
    const { bucket, table } = await fresh();
    // The client built from the endpoint takes its credentials from the SDK's chain: the environment here.
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    onTestFinished(() => {
      for (const [name, value] of [
        ['AWS_ACCESS_KEY_ID', saved.id],
        ['AWS_SECRET_ACCESS_KEY', saved.secret],
      ] as const)
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
    });
    const stream = deliveryStreamFromConfig(
      configuration(bucket, table, { WorkgroupName: 'analytics', Database: 'postgres', PollIntervalInSeconds: 0.1 }),
      {
        s3Client: s3,
        endpoints: { redshiftData: dataApi.endpoint },
        region: 'us-east-1',
        records: from(['{"id":1,"kind":"x"}', '{"id":2,"kind":"y"}']).pipe(toRecords()),
      },
    );
    expect(stream.description).toContain('→ Redshift Data API analytics/postgres');
    const summary = await stream.done;
    expect(summary).toMatchObject({ deliveredRecords: 2, errorOutputRecords: 0 });
    expect(await rowsOf(table)).toEqual([
      { id: 1, kind: 'x' },
      { id: 2, kind: 'y' },
    ]);
    expect(dataApi.statements.at(-1)).toMatchObject({ WorkgroupName: 'analytics', Database: 'postgres', Status: 'FINISHED' });
  });

  it('should refuse, by field, what the Data API cannot take', () => {
    const path = 'RedshiftDestinationConfiguration.RxFirehoseDataApiConfiguration';
    expect(refusal(configuration('staging', 't', { Database: 'dev' })).field).toBe(`${path}.WorkgroupName`);
    expect(refusal(configuration('staging', 't', { WorkgroupName: 'analytics' })).field).toBe(`${path}.Database`);
    expect(refusal(configuration('staging', 't', { WorkgroupName: 'analytics', Database: 'dev', DbUser: 'u' })).field).toBe(
      `${path}.DbUser`,
    );
    expect(refusal(configuration('staging', 't', { ClusterIdentifier: 'c', Database: 'dev' })).field).toBe(`${path}.DbUser`);
    expect(
      refusal(configuration('staging', 't', { WorkgroupName: 'analytics', Database: 'dev', PollIntervalInSeconds: 0.05 })).message,
    ).toMatch(/PollIntervalInSeconds must be a number from 0\.1 to 300 \(seconds\); got 0\.05/);
    expect(refusal(configuration('staging', 't', { WorkgroupName: 'analytics', Database: 'dev', Unknown: 1 })).field).toBe(
      `${path}.Unknown`,
    );
    expect(refusal(configuration('staging', 't', { WorkgroupName: 'analytics' }, { Password: 'Secret123' })).field).toBe(
      'RedshiftDestinationConfiguration.Password',
    );
    // Without the extension, ClusterJDBCURL is required as in Firehose.
    expect(refusal(configuration('staging', 't', undefined as never)).field).toBe('RedshiftDestinationConfiguration.ClusterJDBCURL');
    // The database of a ClusterJDBCURL is the default Database.
    const plan = planDeliveryStream(
      configuration(
        'staging',
        't',
        { WorkgroupName: 'analytics' },
        { ClusterJDBCURL: 'jdbc:redshift://analytics.123456789012.us-east-1.redshift-serverless.amazonaws.com:5439/dev' },
      ),
      { s3Client: s3, redshiftDataClient: redshiftData },
    );
    expect(plan.description).toContain('→ Redshift Data API analytics/dev t');
    plan.discard();
  });

  it('should end the pg pool it built for ClusterJDBCURL when the stream ends', async () => {
    const { bucket, table } = await fresh();
    await db.query('CREATE DATABASE pool_owned');
    const connections = async () =>
      (await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'pool_owned'`)).rows[0].n as number;
    // The stream's pool connects to a database of its own: its connections are the only ones there.
    const target = new pg.Pool({ connectionString: postgres.url.replace(/\/postgres$/, '/pool_owned'), max: 1 });
    await target.query(`CREATE TABLE ${table} (id int, kind text)`);
    const stream = deliveryStreamFromConfig(
      {
        DeliveryStreamName: 'events',
        RedshiftDestinationConfiguration: {
          RoleARN: 'arn:aws:iam::123456789012:role/firehose',
          ClusterJDBCURL: `jdbc:redshift://127.0.0.1:${standIn.port}/pool_owned`,
          Username: 'postgres',
          Password: 'not-checked',
          CopyCommand: { DataTableName: table, DataTableColumns: 'id, kind', CopyOptions: "JSON 'auto'" },
          S3Configuration: { RoleARN: 'arn:aws:iam::123456789012:role/firehose', BucketARN: `arn:aws:s3:::${bucket}` },
        },
      },
      { s3Client: s3, records: from(['{"id":1,"kind":"x"}']).pipe(toRecords()) },
    );
    expect(await stream.done).toMatchObject({ deliveredRecords: 1 });
    // Loaded through the stream's own pool, into pool_owned.
    expect((await target.query(`SELECT id, kind FROM ${table}`)).rows).toEqual([{ id: 1, kind: 'x' }]);
    await target.end();
    // pool.end() resolved before `done` (a pool left open would keep its idle connection for 10 s).
    // The backend goes a moment later (the stand-in closes its upstream connection after the client's): up to 3 s.
    const deadline = Date.now() + 3_000;
    let left = await connections();
    while (left > 0 && Date.now() < deadline) left = await connections();
    expect(left).toBe(0);
  });
});
