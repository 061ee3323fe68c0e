import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverTo } from '../../../operators/index.js';
import { redshiftDestination, type RedshiftDestinationOptions } from '../../../src/destinations/redshift/index.js';
import { deliveryStreamFromConfig, InvalidOptionError, toRecords, type FirehoseRecord } from '../../../src/index.js';
import { createStream, kinesisClientFor, putRecords, startKinesalite, type Kinesalite } from '../../support/kinesalite.js';
import { waitFor } from '../../sources/kinesis/waitFor.js';
import { trackSettlements } from '../../../src/testing/index.js';
import { startPostgres, type PostgresServer } from '../../support/postgres.js';
import { s3ClientFor, startRadosGateway, type RadosGateway } from '../../support/radosgw.js';
import { startRedshiftStandIn, type RedshiftStandIn } from '../../support/redshiftStandIn.js';
import { IdleVirtualTime } from './idleVirtualTime.js';
import { kinesisIntoRedshift } from './kinesisIntoRedshift.js';

const here = dirname(fileURLToPath(import.meta.url));

// One RADOS Gateway (a real S3), one PostgreSQL with the Redshift test stand-in in front of it, and kinesalite, for every test here.
let gateway: RadosGateway;
let postgres: PostgresServer;
let standIn: RedshiftStandIn;
let s3: S3Client;
let db: pg.Pool;
let cluster: pg.Pool;
let kinesalite: Kinesalite;
let kinesis: KinesisClient;
let work: string;
const children: ChildProcess[] = [];
beforeAll(async () => {
  [gateway, postgres, kinesalite] = await Promise.all([startRadosGateway(), startPostgres(), startKinesalite()]);
  kinesis = kinesisClientFor(kinesalite.endpoint);
  work = await mkdtemp(join(tmpdir(), 'rx-firehose-redshift-'));
  s3 = s3ClientFor(gateway);
  standIn = await startRedshiftStandIn({ postgresPort: postgres.port, s3 });
  db = new pg.Pool({ connectionString: postgres.url, max: 2 });
  cluster = new pg.Pool({ connectionString: standIn.url, max: 2 });
  for (const p of [db, cluster]) p.on('error', () => undefined);
}, 180_000);
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  kinesis?.destroy();
  await kinesalite?.stop();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
  await cluster?.end();
  await db?.end();
  await standIn?.stop();
  s3?.destroy();
  await Promise.all([postgres?.stop(), gateway?.stop()]);
});

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
  const bucket = `staging-${id}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await db.query(`CREATE TABLE events_${id} ${ddl}`);
  return { bucket, table: `events_${id}` };
};
const options = (bucket: string, table: string, more: Partial<RedshiftDestinationOptions> = {}): RedshiftDestinationOptions => ({
  pool: cluster,
  table,
  columns: ['id', 'kind'],
  copyOptions: "JSON 'auto'",
  credentials: 'aws_iam_role=arn:aws:iam::123456789012:role/firehose',
  staging: { client: s3, bucket, streamName: 'events' },
  ...more,
});
const keysOf = async (bucket: string): Promise<string[]> =>
  ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key!).sort();
const read = async (bucket: string, key: string): Promise<Buffer> =>
  Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());

describe('redshiftDestination (staging on RADOS Gateway, COPY through the Redshift test stand-in)', () => {
  it('should refuse invalid options at the call, naming the option', () => {
    const ok = options('staging-x', 'events');
    expect(() => redshiftDestination({ ...ok, staging: { ...ok.staging, compression: 'ZIP' as never } })).toThrow(
      /staging\.compression .*'UNCOMPRESSED' or 'GZIP'/,
    );
    expect(() => redshiftDestination({ ...ok, retryDurationMs: 7_200_001 })).toThrow(InvalidOptionError);
    expect(() => redshiftDestination({ ...ok, copyOptions: "JSON 'auto'; DROP TABLE x" })).toThrow(/copyOptions/);
    expect(() => redshiftDestination({ ...ok, table: 'a b' })).toThrow(/table/);
    expect(() => redshiftDestination({ ...ok, staging: { ...ok.staging, bucket: 'No' } })).toThrow(/staging\.bucket/);
  });

  it('should stage the batch and its manifest, COPY it, and leave rows equal to the records', async () => {
    const { bucket, table } = await fresh();
    const records = recordsOf([
      { id: 1, kind: 'click' },
      { id: 2, kind: 'view', extra: true },
      { id: 3, kind: null },
    ]);
    const log = trackSettlements(records);
    const [result] = await lastValueFrom(from([records]).pipe(deliverTo(redshiftDestination(options(bucket, table))), toArray()));
    expect(result).toMatchObject({ status: 'delivered', destination: 'Redshift', attempts: 2 });
    expect((await db.query(`SELECT id, kind FROM ${table} ORDER BY id`)).rows).toEqual([
      { id: 1, kind: 'click' },
      { id: 2, kind: 'view' },
      { id: 3, kind: null },
    ]);
    const keys = await keysOf(bucket);
    expect(keys).toEqual([
      expect.stringMatching(/^2026\/12\/02\/09\/events-1-2026-12-02-09-30-00-[0-9a-f-]{36}$/),
      expect.stringMatching(/^manifests\/2026\/12\/02\/09\/events-1-2026-12-02-09-30-00-[0-9a-f-]{36}$/),
    ]);
    expect(keys[1]!.endsWith(keys[0]!.slice(keys[0]!.lastIndexOf('/')))).toBe(true);
    expect(JSON.parse((await read(bucket, keys[1]!)).toString())).toEqual({
      entries: [{ url: `s3://${bucket}/${keys[0]}`, mandatory: true }],
    });
    expect(standIn.statements.at(-1)).toBe(
      `COPY "${table}" ("id", "kind") FROM 's3://${bucket}/${keys[1]}' CREDENTIALS 'aws_iam_role=arn:aws:iam::123456789012:role/firehose' MANIFEST JSON 'auto'`,
    );
    expect(result!.location).toBe(`s3://${bucket}/${keys[1]} → ${table}`);
    expect(log.events.map((e) => e.outcome)).toEqual(['delivered', 'delivered', 'delivered']);
  });

  it('should stage GZIP objects with a prefix and COPY them with GZIP', async () => {
    const { bucket, table } = await fresh();
    const records = recordsOf([{ id: 7, kind: 'gz' }]);
    const d = redshiftDestination(
      options(bucket, table, { staging: { client: s3, bucket, streamName: 'events', compression: 'GZIP', prefix: 'rs/' } }),
    );
    await lastValueFrom(from([records]).pipe(deliverTo(d), toArray()));
    const keys = await keysOf(bucket);
    expect(keys).toEqual([
      expect.stringMatching(/^rs\/2026\/12\/02\/09\/.*\.gz$/),
      expect.stringMatching(/^rs\/manifests\/2026\/12\/02\/09\/[^.]*$/),
    ]);
    expect(gunzipSync(await read(bucket, keys[0]!)).toString()).toBe('{"id":7,"kind":"gz"}\n');
    expect(standIn.statements.at(-1)).toMatch(/ MANIFEST GZIP JSON 'auto'$/);
    expect((await db.query(`SELECT id, kind FROM ${table}`)).rows).toEqual([{ id: 7, kind: 'gz' }]);
  });

  it('should retry a COPY that fails for a while, and settle the records only once it committed', async () => {
    const { bucket, table } = await fresh();
    const clock = new IdleVirtualTime();
    const records = recordsOf([{ id: 1, kind: 'a' }]);
    const log = trackSettlements(records, () => clock.scheduler.now());
    standIn.failNextCopies(2);
    const [result] = await lastValueFrom(
      from([records]).pipe(
        deliverTo(clock.track(redshiftDestination(options(bucket, table))), { scheduler: clock.scheduler, random: () => 0.5 }),
        toArray(),
      ),
    );
    // Staging once at 0, then COPY at 0 (maintenance), 1 s (maintenance), 3 s (committed).
    expect(clock.sends.map((s) => s.atMs)).toEqual([0, 0, 1_000, 3_000]);
    expect(result).toMatchObject({ status: 'delivered', attempts: 4 });
    expect(log.events).toEqual([expect.objectContaining({ outcome: 'delivered', atMs: 3_000 })]);
    expect((await db.query(`SELECT id FROM ${table}`)).rows).toEqual([{ id: 1 }]);
  });

  for (const failure of ['a column that does not exist', 'a dropped table'] as const) {
    it(`should retry a COPY into ${failure} for the retry duration (virtual time), then put its manifest under errors/ with the error`, async () => {
      const { bucket, table } = await fresh();
      if (failure === 'a dropped table') await db.query(`DROP TABLE ${table}`);
      const clock = new IdleVirtualTime();
      const records = recordsOf([
        { id: 1, kind: 'a', missing: 'x' },
        { id: 2, kind: 'b', missing: 'y' },
      ]);
      const log = trackSettlements(records, () => clock.scheduler.now());
      const columns = failure === 'a dropped table' ? ['id', 'kind'] : ['id', 'kind', 'missing'];
      const d = clock.track(redshiftDestination(options(bucket, table, { columns, retryDurationMs: 60_000 })));
      const [result] = await lastValueFrom(
        from([records]).pipe(deliverTo(d, { scheduler: clock.scheduler, random: () => 0.5 }), toArray()),
      );
      const code = failure === 'a dropped table' ? 'Redshift.TableNotFound' : 'Redshift.ColumnNotFound';
      // Staging at 0; COPY at 0, 1, 3, 7, 15, 31 s; a retry at 63 s would start past the 60 s retry duration.
      expect(clock.sends.map((s) => s.atMs)).toEqual([0, 0, 1_000, 3_000, 7_000, 15_000, 31_000]);
      expect(result).toMatchObject({ status: 'failed-to-error-output', errorCode: code, failed: records });
      expect(log.events.map((e) => [e.outcome, e.atMs])).toEqual([
        ['failed', 31_000],
        ['failed', 31_000],
      ]);
      const keys = await keysOf(bucket);
      const manifest = keys.find((k) => k.startsWith('manifests/'))!;
      const name = manifest.slice(manifest.lastIndexOf('/') + 1);
      const failed = `errors/manifests/2026/12/02/09/${name}`;
      expect(keys).toContain(failed);
      expect(result!.errorLocation).toBe(`s3://${bucket}/${failed}`);
      // The failed manifest is the staged one, loadable as it is; the error is beside it.
      expect((await read(bucket, failed)).toString()).toBe((await read(bucket, manifest)).toString());
      expect(JSON.parse((await read(bucket, `${failed}.error.json`)).toString())).toEqual({
        manifest: `s3://${bucket}/${manifest}`,
        errorCode: code,
        errorMessage:
          failure === 'a dropped table' ? `relation "${table}" does not exist` : `column "missing" of relation "${table}" does not exist`,
        attemptsMade: 6,
        attemptEndingTimestamp: 31_000,
        records: 2,
      });
      // Nothing is lost: once the table is fixed, the manifest under errors/ loads the batch (a backfill).
      if (failure === 'a dropped table') await db.query(`CREATE TABLE ${table} (id int, kind text)`);
      else await db.query(`ALTER TABLE ${table} ADD COLUMN missing text`);
      await cluster.query(`COPY ${table} (${columns.join(', ')}) FROM 's3://${bucket}/${failed}' MANIFEST JSON 'auto'`);
      expect((await db.query(`SELECT id, kind FROM ${table} ORDER BY id`)).rows).toEqual([
        { id: 1, kind: 'a' },
        { id: 2, kind: 'b' },
      ]);
    });
  }

  it('should not checkpoint a Kinesis shard before the COPY of its records committed', async () => {
    const { bucket, table } = await fresh('(id int)');
    const streamName = 'redshift-checkpoints';
    const release = standIn.holdCopies();
    const { put, checkpoints, results, stop } = await kinesisIntoRedshift(
      kinesis,
      streamName,
      5,
      redshiftDestination(options(bucket, table, { columns: ['id'] })),
    );
    try {
      // Staged, and the COPY is at the cluster, unanswered: nothing may be checkpointed.
      await waitFor(() => standIn.copiesHeld() === 1, 'the COPY to reach the cluster');
      expect(await keysOf(bucket)).toHaveLength(2);
      expect(checkpoints.get(streamName, put[0]!.shardId)).toBeUndefined();
      expect(results).toEqual([]);
      release();
      await waitFor(
        () => checkpoints.get(streamName, put[0]!.shardId)?.sequenceNumber === put[4]!.sequenceNumber,
        'the checkpoint after the COPY',
      );
      expect(results.map((r) => [r.status, r.records.length])).toEqual([['delivered', 5]]);
      expect((await db.query(`SELECT id FROM ${table} ORDER BY id`)).rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    } finally {
      release();
      stop();
    }
  });

  it('should lose nothing when the process is killed between staging and COPY, and restarted', async () => {
    const { bucket, table } = await fresh('(id int)');
    const streamName = 'redshift-crash';
    await createStream(kinesis, streamName, 2);
    const ids = Array.from({ length: 40 }, (_, i) => i + 1);
    await putRecords(
      kinesis,
      streamName,
      ids.map((id) => ({ Data: new TextEncoder().encode(JSON.stringify({ id })), PartitionKey: `k${id}` })),
    );
    const env = {
      KINESIS_ENDPOINT: kinesalite.endpoint,
      STREAM_NAME: streamName,
      CHECKPOINT_FILE: join(work, 'checkpoints.json'),
      S3_ENDPOINT: gateway.endpoint,
      S3_ACCESS_KEY: gateway.accessKeyId,
      S3_SECRET_KEY: gateway.secretAccessKey,
      BUCKET: bucket,
      CLUSTER_URL: standIn.url,
      TABLE: table,
    };
    const start = () => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'crashPipeline.ts')], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      const out: string[] = [];
      child.stdout!.on('data', (chunk: Buffer) => out.push(chunk.toString('utf8')));
      child.stderr!.on('data', (chunk: Buffer) => out.push(chunk.toString('utf8')));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once('exit', (code, signal) => resolve({ code, signal })),
      );
      return { child, out, exited };
    };
    // First run: every COPY is held at the cluster; the process dies with batches staged but not loaded.
    const release = standIn.holdCopies();
    const first = start();
    try {
      await waitFor(() => standIn.copiesHeld() >= 1, `a COPY from the first run (${first.out.join('')})`, 20_000);
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');
    } finally {
      release(); // the held COPY's client is gone: it is dropped
    }
    expect((await keysOf(bucket)).some((k) => k.startsWith('manifests/'))).toBe(true);
    expect((await db.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBe(0);
    // Second run: reads again from the checkpoints (none were saved past an unloaded record), stages and loads.
    const second = start();
    const loaded = async () => (await db.query(`SELECT DISTINCT id FROM ${table} ORDER BY id`)).rows.map((r) => r.id as number);
    let seen: number[] = [];
    for (let i = 0; i < 300 && seen.length < ids.length; i++) {
      seen = await loaded();
      if (seen.length < ids.length) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(seen).toEqual(ids);
    second.child.kill('SIGTERM');
    expect(await second.exited, second.out.join('')).toEqual({ code: 0, signal: null });
    expect(second.out.join('')).toContain('STOPPED');
  }, 60_000);

  it('should run from a RedshiftDestinationConfiguration (ClusterJDBCURL, CopyCommand, S3Configuration)', async () => {
    const { bucket, table } = await fresh();
    const stream = deliveryStreamFromConfig(
      {
        DeliveryStreamName: 'events',
        RedshiftDestinationConfiguration: {
          RoleARN: 'arn:aws:iam::123456789012:role/firehose',
          ClusterJDBCURL: `jdbc:redshift://127.0.0.1:${standIn.port}/postgres`,
          Username: 'postgres',
          Password: 'not-checked',
          CopyCommand: { DataTableName: table, DataTableColumns: 'id, kind', CopyOptions: "JSON 'auto'" },
          S3Configuration: {
            RoleARN: 'arn:aws:iam::123456789012:role/firehose',
            BucketARN: `arn:aws:s3:::${bucket}`,
            Prefix: 'cfg/',
            CompressionFormat: 'GZIP',
          },
        },
      },
      { dataDir: work, s3Client: s3, records: from(['{"id":1,"kind":"x"}', '{"id":2,"kind":"y"}']).pipe(toRecords()) },
    );
    const summary = await stream.done;
    expect(summary).toMatchObject({ deliveredRecords: 2, errorOutputRecords: 0 });
    expect((await db.query(`SELECT id, kind FROM ${table} ORDER BY id`)).rows).toEqual([
      { id: 1, kind: 'x' },
      { id: 2, kind: 'y' },
    ]);
    expect(standIn.statements.at(-1)).toMatch(
      new RegExp(
        `^COPY "${table}" \\("id", "kind"\\) FROM 's3://${bucket}/cfg/manifests/.*' CREDENTIALS 'aws_iam_role=arn:aws:iam::123456789012:role/firehose' MANIFEST GZIP JSON 'auto'$`,
      ),
    );
  });
});
