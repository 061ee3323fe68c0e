import type { Destination, ErrorOutput } from '../../destinations/Destination.js';
import type { ObjectStoreRequest } from '../../destinations/objectStore/objectStoreDestination.js';
import type { DataFormatConversion } from './DataFormatConversion.js';

/**
 * The conversion stage's request: the indexes of the records that converted. It stores no objects (`objects`
 * is empty: the next stage stores them), so it is an object store request like the store's own.
 */
export interface FormatConversionRequest extends ObjectStoreRequest {
  readonly objects: readonly [];
}

/**
 * The first stage of an object store destination with a record format conversion: it converts every
 * record of the batch and fails those that do not convert under the error output type
 * `format-conversion-failed` (Firehose's), then hands the others to `store` (the next stage), which writes
 * them as Parquet objects. Named like `store`, so metrics and results keep its name; an error output like it.
 *
 * Its send of its own requests does nothing and cannot fail: the conversion is the build. `groupOf` is the
 * store's grouping of records into objects (their partition), so that the conversion writes each object's
 * file once, here. A build that rejects (the conversion's worker stopped) fails the batch's records to the
 * error output with `<name>.BuildFailed`, as any build does.
 */
export function formatConversionStage(
  conversion: DataFormatConversion,
  store: Destination<ObjectStoreRequest> & ErrorOutput<ObjectStoreRequest>,
  groupOf?: (record: unknown) => string,
): Destination<ObjectStoreRequest> & ErrorOutput<ObjectStoreRequest> {
  return {
    name: store.name,
    errorOutputType: 'format-conversion-failed',
    ...(store.retryDurationMs === undefined ? {} : { retryDurationMs: store.retryDurationMs }),
    nextStage: store,
    async build(batch, { batchId }) {
      const { items, failed } = await conversion.check(batch, groupOf);
      return { request: items.length === 0 ? undefined : { ids: [batchId], items, bytes: 0, objects: [] }, failed };
    },
    // The stage's own requests store nothing; failure objects (built by the store) are the store's to send.
    send: (request, attempt) => (request.objects.length === 0 ? [{ status: 'accepted' as const }] : store.send(request, attempt)),
    buildFailures: (failures, errorOutputType, context) => store.buildFailures(failures, errorOutputType, context),
  };
}
