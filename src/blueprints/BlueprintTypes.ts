import type { FirehoseTransformationStatus } from '../transform/lambdaContract.js';

/**
 * What a blueprint reads of a Firehose transformation event: each record's id and base64 data. Both
 * rx-firehose's event type and the `aws-lambda` typings' one fit it, so a blueprint is a handler of either.
 */
export interface BlueprintEvent {
  records: ReadonlyArray<{ recordId: string; data: string }>;
}

/** What a blueprint returns: every record with a result and its (base64) data, as both typings accept. */
export interface BlueprintResult {
  records: Array<{ recordId: string; result: FirehoseTransformationStatus; data: string }>;
}
