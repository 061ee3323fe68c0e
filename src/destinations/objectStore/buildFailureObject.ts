import { compress } from '../../codecs/compress.js';
import { objectName } from '../../keys/objectName.js';
import type { FailureRecord } from '../Destination.js';
import type { ObjectStoreLayout } from './objectStoreOptions.js';
import { seededRandomStrings, uuidFromSeed } from './seededNames.js';

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
): Promise<{ key: string; body: Uint8Array }> {
  let oldest = Number.POSITIVE_INFINITY;
  for (const f of failures) oldest = Math.min(oldest, f.arrivalTimestamp);
  const seed = `${batchId}/${errorOutputType}`;
  const name = objectName({
    streamName: layout.streamName,
    streamVersion: layout.streamVersion,
    arrivalMs: oldest,
    random: () => uuidFromSeed(seed),
    extension: layout.extension,
  });
  const prefix = layout.keys.errorPrefixFor(errorOutputType, { arrivalMs: oldest, random: seededRandomStrings(seed) });
  const body = await compress(
    layout.compression,
    failures.map((f) => utf8.encode(JSON.stringify(f) + '\n')),
    { gzipLevel: layout.gzipLevel, zipEntryName: layout.extension === '' ? name : name.slice(0, -layout.extension.length) },
  );
  return { key: prefix + name, body };
}
