import { Buffer } from 'node:buffer';
import type { FailureRecord, FirehoseRecord } from '../../src/index.js';
import type { MemoryDestination } from '../../src/testing/index.js';

/** A record with `text` (UTF-8) or bytes as its data. */
export function rec(recordId: string, data: string | Uint8Array, approximateArrivalTimestamp = 0): FirehoseRecord {
  return { recordId, data: typeof data === 'string' ? Buffer.from(data) : data, approximateArrivalTimestamp };
}

/** The records' data as text. */
export function texts(records: readonly FirehoseRecord[]): string[] {
  return records.map((r) => Buffer.from(r.data).toString('utf8'));
}

/** Every failure record written to `out`, with its error output type. */
export function failuresIn(out: MemoryDestination<unknown>): Array<FailureRecord & { type: string }> {
  return out.failureWrites.flatMap((w) => w.failures.map((f) => ({ ...f, type: w.errorOutputType })));
}
