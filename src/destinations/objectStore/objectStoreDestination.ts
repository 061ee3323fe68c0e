import type { LegacyDestination, ErrorOutput, ItemFailure } from '../Destination.js';
import { buildFailureObject } from './buildFailureObject.js';
import { buildObjects } from './buildObjects.js';
import type { ObjectStoreLayout } from './objectStoreOptions.js';

/** Stores one object and returns where it went; throws a `DeliveryError` on failure. */
export type PutObject = (key: string, body: Uint8Array, signal: AbortSignal) => Promise<string>;

/**
 * A destination and error output over any store of keyed objects (S3, a directory): lays batches out with
 * {@link buildObjects}, stores each object with `put`, and reports the items of objects that failed. With a
 * single object, its failure is the attempt's, so a permanent error stays permanent.
 */
export function objectStoreDestination<T>(name: string, layout: ObjectStoreLayout, put: PutObject): LegacyDestination<T> & ErrorOutput {
  return {
    name,
    retryDurationMs: layout.retryDurationMs,
    async deliver(batch, { batchId, scheduler, signal }) {
      const { objects, failed } = await buildObjects(batch, layout, batchId, scheduler.now(), name);
      const written = await Promise.allSettled(objects.map((o) => put(o.key, o.body, signal)));
      if (objects.length === 1 && failed.length === 0 && written[0]!.status === 'rejected') throw written[0]!.reason;
      if (objects.length === 0) return { failed };
      const itemFailures: ItemFailure[] = [...failed];
      const locations: string[] = [];
      written.forEach((w, i) => {
        if (w.status === 'fulfilled') {
          locations.push(w.value);
          return;
        }
        const e = w.reason as { code?: unknown; message?: unknown; permanent?: unknown };
        const errorCode = typeof e.code === 'string' ? e.code : `${name}.Error`;
        const errorMessage = typeof e.message === 'string' ? e.message : String(w.reason);
        for (const index of objects[i]!.indexes) itemFailures.push({ index, errorCode, errorMessage, retriable: e.permanent !== true });
      });
      return { location: locations.join(' '), failed: itemFailures };
    },
    async writeFailures(failures, errorOutputType, { batchId, scheduler, signal }) {
      const { key, body } = await buildFailureObject(failures, errorOutputType, layout, batchId, scheduler.now());
      return { location: await put(key, body, signal) };
    },
  };
}
