// Type tests: what `pipe` infers through every public operator, checked by `npm run typecheck` under
// `strict` and `exactOptionalPropertyTypes` (test/types/tsconfig.json). A wrong inference is a compile error.
import { expectTypeOf } from 'vitest';
import { S3Client } from '@aws-sdk/client-s3';
import { of, type Observable } from 'rxjs';
import {
  directoryDestination,
  fromKinesisStream,
  fromLines,
  httpEndpointDestination,
  s3Destination,
  toRecords,
  type DeliveryResult,
  type Destination,
  type FirehoseRecord,
} from '../../src/index.js';
import { bufferBySizeOrTime, deliverTo, filterRecords, mapRecords, teeBackup, transformWithLambda } from '../../operators/index.js';
import { memoryDestination } from '../../src/testing/index.js';
import type { KinesisClient } from '@aws-sdk/client-kinesis';

/** A user's own record type: a FirehoseRecord with more fields. */
interface Click extends FirehoseRecord {
  readonly page: string;
}
declare const clicks$: Observable<Click>;
declare const strings$: Observable<string>;

// Destinations bound to a const: the record type comes from the source, not from the destination.
const directory = directoryDestination({ path: './out' });
const s3 = s3Destination({ client: new S3Client({}), bucket: 'lake' });
const http = httpEndpointDestination({ url: 'https://example.com/' });
const memory = memoryDestination();

expectTypeOf(clicks$.pipe(bufferBySizeOrTime(), deliverTo(directory))).toEqualTypeOf<Observable<DeliveryResult<Click>>>();
expectTypeOf(clicks$.pipe(bufferBySizeOrTime(), deliverTo(s3))).toEqualTypeOf<Observable<DeliveryResult<Click>>>();
expectTypeOf(clicks$.pipe(bufferBySizeOrTime(), deliverTo(http))).toEqualTypeOf<Observable<DeliveryResult<Click>>>();
expectTypeOf(clicks$.pipe(bufferBySizeOrTime(), deliverTo(memory))).toEqualTypeOf<Observable<DeliveryResult<Click>>>();
expectTypeOf(strings$.pipe(bufferBySizeOrTime({ maxBytes: 1024 }), deliverTo(directory))).toEqualTypeOf<
  Observable<DeliveryResult<string>>
>();
expectTypeOf(strings$.pipe(bufferBySizeOrTime())).toEqualTypeOf<Observable<string[]>>();

// Options typed by the source's record type.
clicks$.pipe(
  bufferBySizeOrTime({ sizeOf: (click) => click.page.length }),
  deliverTo(directory, { sizeOf: (click) => click.data.byteLength, errorOutput: directory }),
);
// @ts-expect-error sizeOf takes the source's records, which are strings here
strings$.pipe(bufferBySizeOrTime(), deliverTo(directory, { sizeOf: (r: Click) => r.page.length }));
// @ts-expect-error deliverTo takes batches, not records
clicks$.pipe(deliverTo(directory));
// @ts-expect-error a destination has build and send
deliverTo({ name: 'x', deliver: () => Promise.resolve() });

// teeBackup mirrors its source's type; its options are typed by it too.
expectTypeOf(clicks$.pipe(teeBackup(directory))).toEqualTypeOf<Observable<Click>>();
expectTypeOf(
  clicks$.pipe(teeBackup(s3, { onResult: (result) => expectTypeOf(result).toEqualTypeOf<DeliveryResult<Click>>() })),
).toEqualTypeOf<Observable<Click>>();

// transformWithLambda makes new FirehoseRecords (the handler decides their data).
expectTypeOf(
  clicks$.pipe(
    transformWithLambda((event) => ({
      records: event.records.map((r) => ({ recordId: r.recordId, result: 'Ok' as const, data: r.data })),
    })),
  ),
).toEqualTypeOf<Observable<FirehoseRecord>>();
// @ts-expect-error transformWithLambda takes records, not strings
strings$.pipe(transformWithLambda(() => ({ records: [] })));

// mapRecords infers both sides; filterRecords keeps the type.
expectTypeOf(clicks$.pipe(mapRecords((c) => ({ ...c, page: c.page.toUpperCase(), views: 1 })))).toEqualTypeOf<
  Observable<{
    views: number;
    page: string;
    recordId: string;
    data: Uint8Array;
    approximateArrivalTimestamp: number;
    kinesisRecordMetadata?: FirehoseRecord['kinesisRecordMetadata'];
    partitionKeys?: FirehoseRecord['partitionKeys'];
    queryPartitionKeys?: FirehoseRecord['queryPartitionKeys'];
  }>
>();
expectTypeOf(clicks$.pipe(filterRecords((c) => c.page !== ''))).toEqualTypeOf<Observable<Click>>();
// @ts-expect-error mapRecords must return a record (an object)
clicks$.pipe(mapRecords((c) => c.page));

// Sources and toRecords produce FirehoseRecords, which flow through to the results.
declare const kinesis: KinesisClient;
declare const input: AsyncIterable<string>;
expectTypeOf(fromLines(input).pipe(bufferBySizeOrTime(), deliverTo(directory))).toEqualTypeOf<Observable<DeliveryResult<FirehoseRecord>>>();
expectTypeOf(
  fromKinesisStream({ client: kinesis, streamName: 's' }).pipe(teeBackup(s3), bufferBySizeOrTime(), deliverTo(http)),
).toEqualTypeOf<Observable<DeliveryResult<FirehoseRecord>>>();
expectTypeOf(of({ a: 1 }).pipe(toRecords(), bufferBySizeOrTime(), deliverTo(directory))).toEqualTypeOf<
  Observable<DeliveryResult<FirehoseRecord>>
>();

// Built-in destinations are Destinations.
expectTypeOf(directory).toMatchTypeOf<Destination>();
expectTypeOf(http).toMatchTypeOf<Destination>();
