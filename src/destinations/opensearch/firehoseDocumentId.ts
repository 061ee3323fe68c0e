import { createHash } from 'node:crypto';

const DIGITS = 56n;
const MODULUS = 10n ** DIGITS;
const SEPARATOR = Buffer.from([0]);

/** What a document id is made from: the parts of a record that never change between its delivery attempts. */
export interface DocumentIdSource {
  readonly recordId?: unknown;
  readonly approximateArrivalTimestamp?: unknown;
  readonly kinesisRecordMetadata?: { readonly subsequenceNumber?: unknown } | undefined;
}

/**
 * The document id of `DocumentIdOptions` `FIREHOSE_DEFAULT`: made only from what identifies the record (its
 * `recordId`, arrival time and bytes), so every attempt to index it, and every retry of it, sends the same id,
 * and a retry overwrites the document instead of adding a second one.
 *
 * It has the shape of Firehose's own ids (its internal record id: 56 digits, then `.` and the record's
 * subsequence number, e.g. `49577193928114147339600778471082492393164139877200035842.0`): the 56 digits
 * are the SHA-256 of the record's identity, reduced to 56 decimal digits. A record read again from a Kinesis
 * stream after a restart has the same id, arrival time and bytes, so it lands on the same document too.
 *
 * ## Example
 * ```ts
 * import { firehoseDocumentId } from 'rx-firehose';
 * const record = { recordId: 'r1', data: new TextEncoder().encode('{"a":1}'), approximateArrivalTimestamp: 1_456_405_200_000 };
 * firehoseDocumentId(record, record.data) === firehoseDocumentId(record, record.data); // true: stable
 * ```
 *
 * @param record The record (its `recordId`, `approximateArrivalTimestamp`, `kinesisRecordMetadata`).
 * @param data The record's bytes.
 * @returns A 56-digit id, a dot, and the subsequence number (0 unless the record is a KPL sub-record).
 */
export function firehoseDocumentId(record: DocumentIdSource | unknown, data: Uint8Array): string {
  const r = (typeof record === 'object' && record !== null ? record : {}) as DocumentIdSource;
  const hash = createHash('sha256');
  hash.update('rx-firehose/opensearch-document-id');
  hash.update(SEPARATOR);
  hash.update(typeof r.recordId === 'string' ? r.recordId : String(r.recordId ?? ''));
  hash.update(SEPARATOR);
  hash.update(String(r.approximateArrivalTimestamp ?? ''));
  hash.update(SEPARATOR);
  hash.update(data);
  const digits = (BigInt(`0x${hash.digest('hex')}`) % MODULUS).toString().padStart(Number(DIGITS), '0');
  const sub = r.kinesisRecordMetadata?.subsequenceNumber;
  return `${digits}.${typeof sub === 'number' && Number.isSafeInteger(sub) && sub >= 0 ? sub : 0}`;
}
