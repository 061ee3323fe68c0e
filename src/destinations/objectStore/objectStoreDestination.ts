import type { SchedulerLike } from 'rxjs';
import type { DeliveryRequest, Destination, ErrorOutput, ItemFailure, SendOutcome } from '../Destination.js';
import { errorKindOf } from '../errorKindOf.js';
import { buildFailureObject } from './buildFailureObject.js';
import { buildObjects, type StoreObject } from './buildObjects.js';
import type { ObjectStoreLayout } from './objectStoreOptions.js';
import { partitionKeysOf } from './partitionKeysOf.js';
import { formatConversionStage } from '../../processing/parquet/formatConversionStage.js';

/**
 * Batches built and stored at once by default (`deliverTo`'s `concurrency` when not given): the builder
 * compresses on libuv's thread pool (4 threads by default) and the store waits on the disk or the network, so
 * one batch at a time leaves cores idle. More holds more batches in memory without going faster.
 */
export const OBJECT_STORE_CONCURRENCY = 4;

/** Stores one object and returns where it went; throws a `DeliveryError` on failure. */
/** `scheduler` is the pipeline's: time limits of the store's requests run on it. */
export type PutObject = (key: string, body: Uint8Array, signal: AbortSignal, scheduler: SchedulerLike) => Promise<string>;

/** A built batch: its objects (keys, compressed bodies, which records each holds). The ids are the keys. */
export interface ObjectStoreRequest extends DeliveryRequest {
  readonly objects: readonly StoreObject[];
}

/**
 * A destination and error output over any store of keyed objects (S3, a directory).
 *
 * Request builder: lays the batch out with {@link buildObjects} (one object per partition, named and
 * compressed) once; records whose partition keys do not resolve, or that have no bytes, fail at once.
 * Service: stores each object with `put` (the store's service); a retry stores the same objects again,
 * byte for byte, under the same keys, so it never leaves a duplicate and never compresses again. With
 * several objects, a partial outcome retries only the objects that failed. With a single object, its
 * failure is the send's, so a permanent error stays permanent.
 *
 * It declares a `concurrency` of {@link OBJECT_STORE_CONCURRENCY}: results then come out in the order batches
 * finish, not the order they came in (Firehose promises no order across objects either); each record still
 * settles only once its own object is stored, so checkpoints stay correct.
 */
export function objectStoreDestination(
  name: string,
  layout: ObjectStoreLayout,
  put: PutObject,
): Destination<ObjectStoreRequest> & ErrorOutput<ObjectStoreRequest> {
  const store = objectStore(name, layout, put);
  // With a record format conversion, a first stage converts and fails what does not convert under
  // format-conversion-failed/; the store then writes the rest as one file per object.
  // The conversion writes one file per object: it groups records by partition as buildObjects does.
  const groupOf = layout.keys.usesPartitionKeys ? (record: unknown) => layout.keys.partitionIdFor(partitionKeysOf(record)) : undefined;
  return layout.conversion === undefined
    ? store
    : { ...formatConversionStage(layout.conversion, store, groupOf), concurrency: OBJECT_STORE_CONCURRENCY };
}

function objectStore(
  name: string,
  layout: ObjectStoreLayout,
  put: PutObject,
): Destination<ObjectStoreRequest> & ErrorOutput<ObjectStoreRequest> {
  const requestOf = (objects: readonly StoreObject[]): ObjectStoreRequest => {
    const items: number[] = [];
    let bytes = 0;
    for (const o of objects) {
      for (const i of o.indexes) items.push(i); // not push(...): a spread of 200,000 indexes overflows the stack
      bytes += o.body.byteLength;
    }
    return { ids: objects.map((o) => o.key), items: items.sort((a, b) => a - b), bytes, objects };
  };

  return {
    name,
    retryDurationMs: layout.retryDurationMs,
    concurrency: OBJECT_STORE_CONCURRENCY,
    async build(batch, { batchId, scheduler }) {
      const { objects, failed } = await buildObjects(batch, layout, batchId, scheduler.now(), name);
      return { request: objects.length === 0 ? undefined : requestOf(objects), failed };
    },
    async send(request, { signal, scheduler }): Promise<SendOutcome<ObjectStoreRequest>> {
      const { objects } = request;
      const written = await Promise.allSettled(objects.map((o) => put(o.key, o.body, signal, scheduler)));
      if (objects.length === 1 && written[0]!.status === 'rejected') throw written[0]!.reason;
      const locations: string[] = [];
      const failed: ItemFailure[] = [];
      const retry: StoreObject[] = [];
      written.forEach((w, i) => {
        if (w.status === 'fulfilled') {
          locations.push(w.value);
          return;
        }
        const e = w.reason as { code?: unknown; message?: unknown };
        const errorCode = typeof e.code === 'string' ? e.code : `${name}.Error`;
        const errorMessage = typeof e.message === 'string' ? e.message : String(w.reason);
        const retriable = errorKindOf(w.reason) !== 'permanent';
        if (retriable) retry.push(objects[i]!);
        for (const index of objects[i]!.indexes) failed.push({ index, errorCode, errorMessage, retriable });
      });
      const location = locations.join(' ');
      if (failed.length === 0) return { status: 'accepted', location };
      return { status: 'partial', location, failed, ...(retry.length === 0 ? {} : { retry: requestOf(retry) }) };
    },
    async buildFailures(failures, errorOutputType, { batchId, scheduler }) {
      const { key, body, rawBytes } = await buildFailureObject(failures, errorOutputType, layout, batchId, scheduler.now());
      return { request: requestOf([{ key, body, rawBytes, indexes: failures.map((_f, i) => i) }]) };
    },
  };
}
