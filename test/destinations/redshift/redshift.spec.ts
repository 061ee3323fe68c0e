import { gunzipSync } from 'node:zlib';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverTo } from '../../../operators/index.js';
import { redshiftDestination, type RedshiftDestinationOptions } from '../../../src/destinations/redshift/index.js';
import { InvalidOptionError, type FirehoseRecord } from '../../../src/index.js';
import { trackSettlements } from '../../../src/testing/index.js';
import { startPostgres, type PostgresServer } from '../../support/postgres.js';
import { s3ClientFor, startRadosGateway, type RadosGateway } from '../../support/radosgw.js';
import { startRedshiftStandIn, type RedshiftStandIn } from '../../support/redshiftStandIn.js';
import { IdleVirtualTime } from './idleVirtualTime.js';

// One RADOS Gateway (a real S3), one PostgreSQL and the Redshift test stand-in in front of it, for every test here.
let gateway: RadosGateway;
let postgres: PostgresServer;
let standIn: RedshiftStandIn;
let s3: S3Client;
let db: pg.Pool;
let cluster: pg.Pool;
beforeAll(async () => {
  [gateway, postgres] = await Promise.all([startRadosGateway(), startPostgres()]);
  s3 = s3ClientFor(gateway);
  standIn = await startRedshiftStandIn({ postgresPort: postgres.port, s3 });
  db = new pg.Pool({ connectionString: postgres.url, max: 2 });
  cluster = new pg.Pool({ connectionString: standIn.url, max: 2 });
  for (const p of [db, cluster]) p.on('error', () => undefined);
}, 180_000);
afterAll(async () => {
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
});
