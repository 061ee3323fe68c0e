import { Buffer } from 'node:buffer';
import type { BuiltRequest, DeliveryRequest, ItemFailure } from '../Destination.js';
import { arrivalTimeOf } from '../../records/arrivalTimeOf.js';
import { dataOf } from '../../records/dataOf.js';
import { firehoseDocumentId } from './firehoseDocumentId.js';
import type { OpenSearchConfig } from './options.js';
import { rotatedIndexName } from './rotatedIndexName.js';

/** Where one record goes: its index, type and id, decided once and kept for every attempt and its failure record. */
export interface DocumentTarget {
  readonly indexName: string;
  readonly typeName: string | undefined;
  /** `undefined` with `NO_DOCUMENT_ID`: OpenSearch makes one. */
  readonly documentId: string | undefined;
}

/**
 * A built `_bulk` request: one `index` action line and one document line per record, kept per record so a
 * retry of the failed ones resends exactly their bytes, with the same ids.
 */
export interface BulkRequest extends DeliveryRequest {
  /** Per record (in `items` order): the action line and the document line, each ending in `\n`. */
  readonly lines: readonly Buffer[];
  /** Per record (in `items` order): where it goes. */
  readonly targets: readonly DocumentTarget[];
}

const NEWLINE = 0x0a;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * The request builder: a batch of records to one `_bulk` request of `index` actions, as Firehose sends them.
 *
 * Each record must be one JSON object in UTF-8. Its bytes are sent as they are, except that line breaks
 * (which valid JSON can hold only as whitespace between tokens) become spaces and trailing whitespace is
 * dropped, so that pretty-printed or newline-terminated JSON still fits on the one line NDJSON allows.
 * Anything else (no bytes, not UTF-8, not JSON, or JSON that is not an object) fails at once with
 * `<prefix>.MalformedData` and is never sent.
 *
 * `targetOf` decides each record's index (rotated by its arrival time), type and document id, once: the
 * request keeps them, so every send of it, and every retry of a part of it, carries the same.
 */
export function buildBulkRequest(
  batch: readonly unknown[],
  requestId: string,
  targetOf: (record: unknown, data: Uint8Array) => DocumentTarget,
  errorPrefix: string,
): BuiltRequest<BulkRequest> {
  const lines: Buffer[] = [];
  const targets: DocumentTarget[] = [];
  const items: number[] = [];
  const failed: ItemFailure[] = [];
  let bytes = 0;
  batch.forEach((record, index) => {
    let data: Uint8Array;
    try {
      data = dataOf(record);
    } catch (err) {
      failed.push({ index, errorCode: `${errorPrefix}.MalformedData`, errorMessage: (err as Error).message, retriable: false });
      return;
    }
    const problem = jsonObjectProblem(data);
    if (problem !== undefined) {
      failed.push({ index, errorCode: `${errorPrefix}.MalformedData`, errorMessage: `the record is not a JSON object in UTF-8: ${problem}`, retriable: false });
      return;
    }
    const target = targetOf(record, data);
    const line = Buffer.concat([Buffer.from(actionLine(target), 'utf8'), oneLine(data)]);
    lines.push(line);
    targets.push(target);
    items.push(index);
    bytes += line.byteLength;
  });
  return {
    ...(items.length === 0 ? {} : { request: { ids: [requestId], items, bytes, lines, targets } }),
    ...(failed.length === 0 ? {} : { failed }),
  };
}

/** The part of `request` at `positions` (ascending positions into its `items`): same lines, same ids. */
export function narrowBulkRequest(request: BulkRequest, positions: readonly number[]): BulkRequest {
  const lines = positions.map((p) => request.lines[p]!);
  return {
    ids: request.ids,
    items: positions.map((p) => request.items[p]!),
    bytes: lines.reduce((n, l) => n + l.byteLength, 0),
    lines,
    targets: positions.map((p) => request.targets[p]!),
  };
}

/**
 * The target of a record under `config`: the rotated index from its arrival time (`fallbackArrivalMs` when
 * it has none), the type name, and the Firehose document id unless `NO_DOCUMENT_ID`.
 */
export function documentTargetOf(config: Pick<OpenSearchConfig, 'indexName' | 'indexRotationPeriod' | 'typeName' | 'documentIdFormat'>, record: unknown, data: Uint8Array, fallbackArrivalMs: number): DocumentTarget {
  return {
    indexName: rotatedIndexName(config.indexName, config.indexRotationPeriod, arrivalTimeOf(record, fallbackArrivalMs)),
    typeName: config.typeName,
    documentId: config.documentIdFormat === 'FIREHOSE_DEFAULT' ? firehoseDocumentId(record, data) : undefined,
  };
}

function actionLine(target: DocumentTarget): string {
  const meta: Record<string, string> = { _index: target.indexName };
  if (target.typeName !== undefined) meta._type = target.typeName;
  if (target.documentId !== undefined) meta._id = target.documentId;
  return `${JSON.stringify({ index: meta })}\n`;
}

/** Why `data` is not one JSON object in UTF-8, or `undefined` when it is. */
function jsonObjectProblem(data: Uint8Array): string | undefined {
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return 'it is not valid UTF-8';
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `it is ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}, and a document must be an object`;
  }
  return undefined;
}

/** The document's bytes on one line, ending in `\n`: CR and LF (whitespace, in valid JSON) become spaces; trailing whitespace goes. */
function oneLine(data: Uint8Array): Buffer {
  let end = data.length;
  while (end > 0 && (data[end - 1] === 0x20 || data[end - 1] === 0x09 || data[end - 1] === 0x0a || data[end - 1] === 0x0d)) end--;
  const line = Buffer.allocUnsafe(end + 1);
  for (let i = 0; i < end; i++) {
    const b = data[i]!;
    line[i] = b === 0x0a || b === 0x0d ? 0x20 : b;
  }
  line[end] = NEWLINE;
  return line;
}
