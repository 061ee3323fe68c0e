import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { from, lastValueFrom, VirtualTimeScheduler } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Destination } from '../../src/index.js';
import type { BuiltRequest } from '../../src/destinations/Destination.js';
import type { ObjectStoreRequest } from '../../src/destinations/objectStore/objectStoreDestination.js';
import { s3ClientFor, startRadosGateway, type RadosGateway } from '../support/radosgw.js';
import { startFreezingProxy, type FreezingProxy } from '../support/freezingProxy.js';

// Fault suite: S3 (the real RADOS Gateway) behind a TCP proxy that freezes connections. A request stuck on a
// frozen connection is aborted after requestTimeoutMs on the pipeline's (here virtual) clock, and the retry,
// once the network healed, stores the object.
let gateway: RadosGateway | undefined;
let proxy: FreezingProxy | undefined;
let direct: S3Client;
let viaProxy: S3Client;

beforeAll(async () => {
  gateway = await startRadosGateway();
  direct = s3ClientFor(gateway);
  const url = new URL(gateway.endpoint);
  proxy = await startFreezingProxy({ host: url.hostname, port: Number(url.port) });
  viaProxy = new S3Client({
    endpoint: proxy.endpoint,
    region: gateway.region,
    credentials: { accessKeyId: gateway.accessKeyId, secretAccessKey: gateway.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1, // retries are the destination's
  });
}, 300_000);

afterAll(async () => {
  viaProxy?.destroy();
  direct?.destroy();
  await proxy?.close();
  await gateway?.stop();
});

describe('fault suite: S3 through a proxy that freezes connections', () => {
  it('should abort a request stuck on a frozen connection after requestTimeoutMs, and store the object on the retry', async () => {
    const bucket = `t-${randomUUID().slice(0, 18)}`;
    await direct.send(new CreateBucketCommand({ Bucket: bucket }));
    const scheduler = new VirtualTimeScheduler();
    const destination = s3Destination({ client: viaProxy, bucket, compression: 'UNCOMPRESSED', requestTimeoutMs: 30_000 });
    const batch = [
      { recordId: '1', data: new TextEncoder().encode('frozen then healed\n'), approximateArrivalTimestamp: Date.UTC(2026, 0, 1) },
    ];
    // Built once, as deliverTo does; each attempt sends the same request.
    const built = await lastValueFrom(
      from(
        destination.build(batch, { batchId: 'b-1', scheduler, signal: new AbortController().signal }) as Promise<
          BuiltRequest<ObjectStoreRequest>
        >,
      ),
    );
    const attempt = (n: number) =>
      lastValueFrom(
        from(destination.send(built.request!, { attempt: n, batchId: 'b-1', scheduler, signal: new AbortController().signal })),
      );

    proxy!.freeze();
    const held = proxy!.held();
    const first = attempt(1);
    await held; // the PutObject is on the wire and will never be answered
    scheduler.flush(); // 30 s of virtual time pass
    await expect(first).rejects.toMatchObject({ code: 'S3.RequestTimeout' });
    await new Promise<void>((resolve) => setImmediate(resolve));

    proxy!.heal();
    const second = await attempt(2);
    expect(second.location).toMatch(new RegExp(`^s3://${bucket}/`));
    const key = second.location!.slice(`s3://${bucket}/`.length);
    const stored = await direct.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(await stored.Body!.transformToString()).toBe('frozen then healed\n');
    console.log(
      `S3 frozen connection: 1 request frozen, aborted after 30000 ms (virtual), ${proxy!.closedWhileFrozen} frozen connections closed by the client, retry stored ${key}`,
    );
    expect(proxy!.closedWhileFrozen).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
