import { extensionOf } from '../../codecs/compression.js';
import { arrivalTimeOf } from '../../records/arrivalTimeOf.js';
import type { FailureRecord } from '../Destination.js';
import type { ObjectStoreLayout } from './objectStoreOptions.js';
import { layOutObject } from './layOutObject.js';

const utf8 = new TextEncoder();

/**
 * One object of failure records, one JSON line each, under the error output prefix for `errorOutputType`
 * (`<errorOutputPrefix>` or `<prefix><errorOutputType>/yyyy/MM/dd/HH/`), named from the oldest failed
 * record's arrival time, compressed like delivered objects.
 */
export async function buildFailureObject(
  failures: readonly FailureRecord[],
  errorOutputType: string,
  layout: ObjectStoreLayout,
  batchId: string,
  nowMs: number,
): Promise<{ key: string; body: Uint8Array; rawBytes: number }> {
  let oldest = Number.POSITIVE_INFINITY;
  for (const f of failures) {
    const arrival = arrivalTimeOf({ approximateArrivalTimestamp: f.arrivalTimestamp }, nowMs);
    if (arrival < oldest) oldest = arrival;
  }
  const seed = `${batchId}/${errorOutputType}`;
  const lines = failures.map((f) => utf8.encode(JSON.stringify(f) + '\n'));
  let rawBytes = 0;
  for (const line of lines) rawBytes += line.byteLength;
  // Failure records are JSON lines even when delivered objects are Parquet: they keep the compression's extension.
  const failureLayout = layout.conversion === undefined ? layout : { ...layout, extension: extensionOf(layout.compression) };
  const { key, body } = await layOutObject(
    failureLayout,
    oldest,
    seed,
    (random) => layout.keys.errorPrefixFor(errorOutputType, { arrivalMs: oldest, random }),
    lines,
  );
  return { key, body, rawBytes };
}
