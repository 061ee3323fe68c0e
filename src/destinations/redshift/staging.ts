import { Buffer } from 'node:buffer';
import { arrivalTimeOf } from '../../records/arrivalTimeOf.js';
import type { DeliveryRequest, Destination } from '../Destination.js';
import { buildObjects, type StoreObject } from '../objectStore/buildObjects.js';
import { seededRandomStrings } from '../objectStore/seededNames.js';
import { putObject } from '../s3/service.js';
import { manifestOf } from './manifest.js';
import type { RedshiftConfig } from './options.js';

/** Where a record was staged: the manifest and the objects it lists. Kept per record (see {@link StagedRecords}). */
export interface Staged {
  readonly manifestUrl: string;
  readonly objectUrls: readonly string[];
}

/**
 * Record → where it was staged, for the COPY stage's error output (which sees failure records, not
 * manifests). A WeakMap: it holds nothing once the records are gone.
 */
export type StagedRecords = WeakMap<object, Staged>;

/** Stage 1's request: the staged object and its manifest, stored in that order. */
export interface StagingRequest extends DeliveryRequest {
  readonly object: StoreObject;
  readonly manifestKey: string;
  readonly manifest: Uint8Array;
}

/**
 * Stage 1 of `redshiftDestination`: the batch as one object in the intermediate bucket, laid out as the S3
 * destination lays out objects (same keys, same compression code), and a manifest listing it under
 * `<prefix>manifests/…`, named like the object. The object is stored first, so a manifest never names a
 * missing object; the stage's location is the manifest's `s3://` URL, which the COPY stage loads. Both
 * keys derive from the batch id: a retry overwrites, never duplicates.
 */
export function stagingStage(config: RedshiftConfig, staged: StagedRecords, copy: Destination<any>): Destination<StagingRequest> {
  const { staging, manifests } = config;
  const urlOf = (key: string): string => `s3://${staging.bucket}/${key}`;
  return {
    name: 'Redshift',
    errorOutputType: 'redshift-staging-failed',
    retryDurationMs: staging.retryDurationMs,
    nextStage: copy,
    async build(batch, { batchId, scheduler }) {
      const now = scheduler.now();
      const { objects, failed } = await buildObjects(batch, staging, batchId, now, 'Redshift');
      const object = objects[0];
      if (object === undefined) return { failed };
      let oldest = Number.POSITIVE_INFINITY;
      for (const i of object.indexes) oldest = Math.min(oldest, arrivalTimeOf(batch[i], now));
      const file = object.key.slice(object.key.lastIndexOf('/') + 1);
      const name = staging.extension === '' ? file : file.slice(0, -staging.extension.length);
      const manifestKey = manifests.keys.prefixFor({ arrivalMs: oldest, random: seededRandomStrings(`${batchId}/manifest`) }) + name;
      const where: Staged = { manifestUrl: urlOf(manifestKey), objectUrls: [urlOf(object.key)] };
      for (const i of object.indexes) {
        const record = batch[i];
        if (typeof record === 'object' && record !== null) staged.set(record, where);
      }
      const manifest = Buffer.from(manifestOf(where.objectUrls), 'utf8');
      return {
        request: {
          ids: [object.key, manifestKey],
          items: object.indexes,
          bytes: object.body.byteLength + manifest.byteLength,
          object,
          manifestKey,
          manifest,
        },
        failed,
      };
    },
    async send(request, { signal, scheduler }) {
      await putObject(staging, request.object.key, request.object.body, signal, scheduler);
      return { status: 'accepted', location: await putObject(staging, request.manifestKey, request.manifest, signal, scheduler) };
    },
  };
}
