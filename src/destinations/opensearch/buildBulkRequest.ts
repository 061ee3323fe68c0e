import { Buffer } from 'node:buffer';
import type { BuiltRequest, DeliveryRequest, ItemFailure } from '../Destination.js';
import { arrivalTimeOf } from '../../records/arrivalTimeOf.js';
import { dataOf } from '../../records/dataOf.js';
import { firehoseDocumentId } from './firehoseDocumentId.js';
import type { OpenSearchConfig } from './options.js';
import { rotatedIndexName } from './rotatedIndexName.js';
import { fitsInBatch } from '../../batching/fitsInBatch.js';

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
  /** Per record (in `items` order): which wire request (an index into `ids`) carries it. */
  readonly wire: readonly number[];
}

const NEWLINE = 0x0a;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * The request builder: a batch of records to `_bulk` requests of `index` actions, as Firehose sends them:
 * one wire request, or several when the batch's NDJSON exceeds `maxRequestBytes` (cut between documents; a
 * document larger than that goes alone). Wire request `k` has id `<requestId>/<k>` (sent as `X-Opaque-Id`).
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
  maxRequestBytes: number = Number.POSITIVE_INFINITY,
): BuiltRequest<BulkRequest> {
  const lines: Buffer[] = [];
  const targets: DocumentTarget[] = [];
  const items: number[] = [];
  const wire: number[] = [];
  const failed: ItemFailure[] = [];
  let bytes = 0;
  let wireBytes = 0;
  let wireItems = 0;
  let wires = 0;
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
      failed.push({
        index,
        errorCode: `${errorPrefix}.MalformedData`,
        errorMessage: `the record is not a JSON object in UTF-8: ${problem}`,
        retriable: false,
      });
      return;
    }
    const target = targetOf(record, data);
    const line = Buffer.concat([Buffer.from(actionLine(target), 'utf8'), oneLine(data)]);
    // The first document of a wire request always fits; the next starts a new one when it would overflow it.
    if (wires === 0 || !fitsInBatch(wireItems, wireBytes, line.byteLength, maxRequestBytes)) {
      wires++;
      wireBytes = 0;
      wireItems = 0;
    }
    wireBytes += line.byteLength;
    wireItems++;
    lines.push(line);
    targets.push(target);
    items.push(index);
    wire.push(wires - 1);
    bytes += line.byteLength;
  });
  const ids = Array.from({ length: wires }, (_, k) => `${requestId}/${k}`);
  return {
    ...(items.length === 0 ? {} : { request: { ids, items, bytes, lines, targets, wire } }),
    ...(failed.length === 0 ? {} : { failed }),
  };
}

/**
 * The part of `request` at `positions` (ascending positions into its `items`): the same lines, in the same
 * wire requests, under the same ids (wire requests left with no document drop out).
 */
export function narrowBulkRequest(request: BulkRequest, positions: readonly number[]): BulkRequest {
  const lines = positions.map((p) => request.lines[p]!);
  const kept = [...new Set(positions.map((p) => request.wire[p]!))];
  const renumbered = new Map(kept.map((w, k) => [w, k]));
  return {
    ids: kept.map((w) => request.ids[w]!),
    items: positions.map((p) => request.items[p]!),
    bytes: lines.reduce((n, l) => n + l.byteLength, 0),
    lines,
    targets: positions.map((p) => request.targets[p]!),
    wire: positions.map((p) => renumbered.get(request.wire[p]!)!),
  };
}

/**
 * The target of a record under `config`: the rotated index from its arrival time (`fallbackArrivalMs` when
 * it has none), the type name, and the Firehose document id unless `NO_DOCUMENT_ID`.
 */
export function documentTargetOf(
  config: Pick<OpenSearchConfig, 'indexName' | 'indexRotationPeriod' | 'typeName' | 'documentIdFormat'>,
  record: unknown,
  data: Uint8Array,
  fallbackArrivalMs: number,
): DocumentTarget {
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
