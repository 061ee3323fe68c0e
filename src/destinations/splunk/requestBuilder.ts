import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { arrivalTimeOf } from '../../records/arrivalTimeOf.js';
import { dataOf } from '../../records/dataOf.js';
import type { BuildContext, BuiltRequest, DeliveryRequest, ItemFailure } from '../Destination.js';
import { SPLUNK_ERROR_MESSAGES } from './hecErrors.js';
import type { HecEventMetadata, SplunkHecConfig } from './options.js';

/** One request to HEC: the body to post, built once and sent as is on every retry. */
export interface HecRequest extends DeliveryRequest {
  readonly body: Uint8Array;
}

/**
 * The request builder of the Splunk destination: one batch, one HEC request, built once.
 *
 * - `Raw`, and `Event` as Firehose does it: the records' bytes concatenated, nothing added ("Firehose
 *   concatenates the bytes that you send"). For `Raw`, HEC breaks events at line ends, so records need
 *   their own `\n`; for `Event`, each record must be a HEC event object (`{"event":…}`).
 * - `Event` with `wrapEvents`: each record in an envelope `{"time":<arrival, epoch seconds>,"event":…}`
 *   plus the metadata given, one after another as HEC reads them. The record goes in as JSON when it
 *   parses as JSON, else as its UTF-8 text.
 *
 * A record without bytes cannot be sent: it fails at once as `Splunk.InvalidDataFormat`. The request's id
 * is derived from the batch id and the body, so it is the same on every retry.
 */
export function buildHecRequest(config: SplunkHecConfig, batch: readonly unknown[], context: BuildContext): BuiltRequest<HecRequest> {
  const parts: Uint8Array[] = [];
  const items: number[] = [];
  const failed: ItemFailure[] = [];
  const fallbackArrivalMs = context.scheduler.now();
  batch.forEach((record, index) => {
    let data: Uint8Array;
    try {
      data = dataOf(record);
    } catch (err) {
      failed.push({
        index,
        errorCode: 'Splunk.InvalidDataFormat',
        errorMessage: `${SPLUNK_ERROR_MESSAGES['Splunk.InvalidDataFormat']} ${(err as Error).message}`,
        retriable: false,
      });
      return;
    }
    parts.push(config.wrapEvents === undefined ? data : envelope(data, arrivalTimeOf(record, fallbackArrivalMs), config.wrapEvents));
    items.push(index);
  });
  if (items.length === 0) return { failed };
  const body = Buffer.concat(parts);
  const id = createHash('sha256').update(context.batchId).update('\n').update(body).digest('hex').slice(0, 32);
  return { request: { ids: [id], items, bytes: body.byteLength, body }, ...(failed.length === 0 ? {} : { failed }) };
}

/** A HEC event envelope around one record. */
function envelope(data: Uint8Array, arrivalMs: number, metadata: HecEventMetadata): Uint8Array {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  let event: unknown = text;
  try {
    event = JSON.parse(text);
  } catch {
    // Not JSON: the event is the text.
  }
  return Buffer.from(JSON.stringify({ time: arrivalMs / 1000, ...metadata, event }), 'utf8');
}
